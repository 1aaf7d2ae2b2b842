package labgob

import (
	"fmt"
	"reflect"
	"sync"
	"unicode"
	"unicode/utf8"
)

// checked caches the verdict of CheckType per type, so that a type is
// inspected (and its error built) once, however many messages carry it.
var checked sync.Map // reflect.Type -> error (nil stored as noError)

type noErrorT struct{}

var noError = noErrorT{}

// CheckType reports whether values of type t can travel between nodes.
// gob silently drops unexported struct fields, so a message whose field is
// lower-case arrives with that field zero: the classic "my RPC reply is always
// empty" bug. CheckType turns it into an error that names the type, the field
// and the fix. The verdict is computed once per type.
func CheckType(t reflect.Type) error {
	if v, ok := checked.Load(t); ok {
		if v == noError {
			return nil
		}
		return v.(error)
	}
	err := checkType(t, t.String(), map[reflect.Type]bool{})
	if err == nil {
		checked.Store(t, noError)
	} else {
		checked.Store(t, err)
	}
	return err
}

// checkType walks t. path is how a reader would name the place being checked
// (kvsrv.PutArgs.Value), so the error points at the exact field.
func checkType(t reflect.Type, path string, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return checkType(t.Elem(), path, seen)
	case reflect.Map:
		if err := checkType(t.Key(), path+"[key]", seen); err != nil {
			return err
		}
		return checkType(t.Elem(), path+"[value]", seen)
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return fmt.Errorf("labgob: %s has kind %s, which cannot be sent between nodes; send plain data instead", path, t.Kind())
	case reflect.Struct:
		if t.NumField() > 0 && !anyExported(t) && !implementsGob(t) {
			return fmt.Errorf("labgob: %s has no exported fields, so it would arrive empty; capitalise its fields (or give it GobEncode/GobDecode)", path)
		}
		if implementsGob(t) {
			return nil
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !isExported(f.Name) {
				return fmt.Errorf("labgob: field %s of %s is unexported (lower-case), so gob would drop it and the receiver would see it zero; rename it to %s",
					f.Name, path, capitalised(f.Name))
			}
			if err := checkType(f.Type, path+"."+f.Name, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	gobEncoderType = reflect.TypeFor[interface{ GobEncode() ([]byte, error) }]()
	gobDecoderType = reflect.TypeFor[interface{ GobDecode([]byte) error }]()
)

func implementsGob(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return (t.Implements(gobEncoderType) || pt.Implements(gobEncoderType)) && pt.Implements(gobDecoderType)
}

func anyExported(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if isExported(t.Field(i).Name) {
			return true
		}
	}
	return false
}

func isExported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsUpper(r)
}

func capitalised(name string) string {
	if name == "_" {
		return "an exported name"
	}
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}

// CheckZero reports an error if ptr points at a value that is not the zero
// value. gob decodes "on top of" its target: a field that is zero in the
// message is not written, so a reused reply keeps a stale Term or Success
// from an earlier call. Pass a fresh zero reply to every call instead.
func CheckZero(ptr any) error {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("labgob: decode target %T must be a non-nil pointer (pass &reply)", ptr)
	}
	e := v.Elem()
	if e.IsZero() {
		return nil
	}
	where := e.Type().String()
	if e.Kind() == reflect.Struct {
		for i := 0; i < e.NumField(); i++ {
			if !e.Field(i).IsZero() {
				where = fmt.Sprintf("%s (field %s = %v)", e.Type(), e.Type().Field(i).Name, e.Field(i))
				break
			}
		}
	}
	return fmt.Errorf("labgob: decoding into a non-zero %s: gob would keep the old values of fields the message leaves zero; pass a fresh zero value (declare the reply inside the loop)", where)
}
