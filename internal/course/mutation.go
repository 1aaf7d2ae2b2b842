package course

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Operator-based mutation: where a mutants.txt lists the bugs someone thought of, the
// operators below generate every small bug of a few kinds, at every place they apply,
// and the tests are measured against all of them. A mutant the tests do not kill is
// either equivalent (it cannot change what the package does), cost-only (it changes
// only how much work the package does) or a gap in the tests; docs/mutation.md keeps
// the triage of each lab's survivors.

// The operators, by name. Each changes one token or one statement.
const (
	OpBoundary   = "boundary"    // < and <=, > and >= swapped: an off-by-one in a comparison
	OpEquality   = "equality"    // == and != swapped
	OpLogical    = "logical"     // && and || swapped
	OpNegate     = "negate"      // the condition of an if or a for negated
	OpOffByOne   = "off-by-one"  // an integer literal in an expression one less (0 becomes 1)
	OpIncDec     = "inc-dec"     // ++ and --, += and -= swapped
	OpDropStmt   = "drop-stmt"   // a call, an assignment or an increment removed
	OpDropReturn = "drop-return" // a return inside a block (not the function's last) removed
)

// Operators lists the operators in the order they are described in docs/mutation.md.
var Operators = []string{OpBoundary, OpEquality, OpLogical, OpNegate, OpOffByOne, OpIncDec, OpDropStmt, OpDropReturn}

// An OpMutant is one generated mutant: the bytes [Start, End) of File replaced by
// Replacement.
type OpMutant struct {
	File        string // slash-separated, relative to the module root
	Line, Col   int    // where the change starts
	Op          string // one of Operators
	Start, End  int    // byte offsets in the file
	Replacement string
	Original    string // the changed line(s) before, white space folded, for reports
	Mutated     string // the same line(s) after the change
}

// ID names the mutant in reports and in --only: file:line:col/operator.
func (m OpMutant) ID() string { return fmt.Sprintf("%s:%d:%d/%s", m.File, m.Line, m.Col, m.Op) }

// Apply returns src with the mutation made.
func (m OpMutant) Apply(src []byte) ([]byte, error) {
	if m.Start < 0 || m.End > len(src) || m.Start > m.End {
		return nil, fmt.Errorf("mutant %s: offsets %d..%d lie outside %s (%d bytes); has the file changed since the mutants were generated?", m.ID(), m.Start, m.End, m.File, len(src))
	}
	out := make([]byte, 0, len(src)-(m.End-m.Start)+len(m.Replacement))
	out = append(out, src[:m.Start]...)
	out = append(out, m.Replacement...)
	return append(out, src[m.End:]...), nil
}

// MutationScope says which code of a package the operators mutate.
type MutationScope int

const (
	ScopeSolution MutationScope = iota // the solution lines of //lab:solution regions
	ScopeAll                           // every function body of the package's non-test files
)

func (s MutationScope) String() string {
	if s == ScopeAll {
		return "every function"
	}
	return "solution regions"
}

// GenerateMutants returns the operator mutants of the package directory pkg (relative
// to root), sorted by file and position. When the package has solution regions only
// their solution lines are mutated (that is the code a learner writes); a package
// without regions (the harness in tests/) is mutated in every function body. Calls that
// only log or format (Logf, Sprintf, Errorf, panic) are left alone: their mutants
// could only change a message. ops, when not empty, limits the operators.
func GenerateMutants(root, pkg string, c Course, ops []string) ([]OpMutant, MutationScope, error) {
	for _, op := range ops {
		if !contains(Operators, op) {
			return nil, 0, fmt.Errorf("unknown mutation operator %q; the operators are %s", op, strings.Join(Operators, ", "))
		}
	}
	dir := filepath.Join(root, filepath.FromSlash(pkg))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("reading package %s: %v", pkg, err)
	}
	type file struct {
		rel     string
		src     []byte
		regions []Region
	}
	var files []file
	scope := ScopeAll
	for _, e := range entries {
		rel := path.Join(pkg, e.Name())
		if e.IsDir() || !IsMarkable(rel) {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, 0, err
		}
		var regions []Region
		if HasMarkers(src) {
			if regions, err = ParseRegions(rel, src, c); err != nil {
				return nil, 0, err
			}
		}
		if len(regions) > 0 {
			scope = ScopeSolution
		}
		files = append(files, file{rel, src, regions})
	}
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("%s has no Go files to mutate (test files are never mutated)", pkg)
	}
	var all []OpMutant
	for _, f := range files {
		if scope == ScopeSolution && len(f.regions) == 0 {
			continue
		}
		ms, err := generateFile(f.rel, f.src, f.regions, scope)
		if err != nil {
			return nil, 0, err
		}
		for _, m := range ms {
			if len(ops) == 0 || contains(ops, m.Op) {
				all = append(all, m)
			}
		}
	}
	return all, scope, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// quietCalls are the calls whose arguments and statements are not mutated: they log,
// format or assert, so a mutant there changes a message, not the behaviour under test.
var quietCalls = map[string]bool{
	"Logf": true, "logf": true, "Printf": true, "Sprintf": true, "Errorf": true,
	"Fprintf": true, "Println": true, "panic": true, "String": true,
}

func calleeName(call *ast.CallExpr) string {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// generateFile returns the mutants of one file, in order of position.
func generateFile(rel string, src []byte, regions []Region, scope MutationScope) ([]OpMutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %v", rel, err)
	}
	tf := fset.File(f.Pos())
	// inScope reports whether the lines from..to all lie in the solution lines of one
	// region (or anywhere, for ScopeAll).
	inScope := func(from, to token.Pos) bool {
		if scope == ScopeAll {
			return true
		}
		a, b := tf.Line(from), tf.Line(to)
		for _, r := range regions {
			last := r.End - 1
			if r.Stub > 0 {
				last = r.Stub - 1
			}
			if a > r.Start && b <= last {
				return true
			}
		}
		return false
	}
	var quiet [][2]token.Pos
	isQuiet := func(p token.Pos) bool {
		for _, q := range quiet {
			if p >= q[0] && p < q[1] {
				return true
			}
		}
		return false
	}
	var out []OpMutant
	add := func(op string, from, to token.Pos, repl string) {
		if !inScope(from, to) || isQuiet(from) {
			return
		}
		start, end := tf.Offset(from), tf.Offset(to)
		pos := tf.Position(from)
		m := OpMutant{File: rel, Line: pos.Line, Col: pos.Column, Op: op, Start: start, End: end, Replacement: repl}
		m.Original, m.Mutated = describeChange(src, m)
		out = append(out, m)
	}
	text := func(n ast.Node) string { return string(src[tf.Offset(n.Pos()):tf.Offset(n.End())]) }

	// The function bodies: the code that runs. Declarations of constants and types are
	// not mutated (a changed constant is a tuning, seldom a bug the tests should see).
	var bodies []*ast.BlockStmt
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil {
				bodies = append(bodies, n.Body)
			}
			return false
		case *ast.FuncLit:
			bodies = append(bodies, n.Body)
			return false
		}
		return true
	})
	// funcBodies are the bodies of functions and closures: a return that ends one is
	// never dropped (the function would not compile).
	funcBodies := map[*ast.BlockStmt]bool{}
	for _, body := range bodies {
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if quietCalls[calleeName(n)] {
					quiet = append(quiet, [2]token.Pos{n.Pos(), n.End()})
				}
			case *ast.FuncLit:
				funcBodies[n.Body] = true
			}
			return true
		})
		funcBodies[body] = true
	}
	for _, body := range bodies {
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				opPos, opEnd := n.OpPos, n.OpPos+token.Pos(len(n.Op.String()))
				switch n.Op {
				case token.LSS:
					add(OpBoundary, opPos, opEnd, "<=")
				case token.LEQ:
					add(OpBoundary, opPos, opEnd, "<")
				case token.GTR:
					add(OpBoundary, opPos, opEnd, ">=")
				case token.GEQ:
					add(OpBoundary, opPos, opEnd, ">")
				case token.EQL:
					add(OpEquality, opPos, opEnd, "!=")
				case token.NEQ:
					add(OpEquality, opPos, opEnd, "==")
				case token.LAND:
					add(OpLogical, opPos, opEnd, "||")
				case token.LOR:
					add(OpLogical, opPos, opEnd, "&&")
				}
				for _, side := range []ast.Expr{n.X, n.Y} {
					if lit, ok := side.(*ast.BasicLit); ok && lit.Kind == token.INT {
						offByOne(add, lit)
					}
				}
			case *ast.IndexExpr:
				if lit, ok := n.Index.(*ast.BasicLit); ok && lit.Kind == token.INT {
					offByOne(add, lit)
				}
			case *ast.SliceExpr:
				for _, e := range []ast.Expr{n.Low, n.High} {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.INT {
						offByOne(add, lit)
					}
				}
			case *ast.IfStmt:
				negateCond(add, text, n.Cond)
			case *ast.ForStmt:
				if n.Cond != nil {
					negateCond(add, text, n.Cond)
				}
			case *ast.IncDecStmt:
				if n.Tok == token.INC {
					add(OpIncDec, n.TokPos, n.TokPos+2, "--")
				} else {
					add(OpIncDec, n.TokPos, n.TokPos+2, "++")
				}
			case *ast.AssignStmt:
				switch n.Tok {
				case token.ADD_ASSIGN:
					add(OpIncDec, n.TokPos, n.TokPos+2, "-=")
				case token.SUB_ASSIGN:
					add(OpIncDec, n.TokPos, n.TokPos+2, "+=")
				}
				if n.Tok != token.ASSIGN && n.Tok != token.DEFINE && len(n.Rhs) == 1 {
					if lit, ok := n.Rhs[0].(*ast.BasicLit); ok && lit.Kind == token.INT {
						offByOne(add, lit)
					}
				}
			case *ast.BlockStmt:
				dropStmts(add, n.List, funcBodies[n])
			case *ast.CaseClause:
				dropStmts(add, n.Body, false)
			case *ast.CommClause:
				dropStmts(add, n.Body, false)
			}
			return true
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return opRank(out[i].Op) < opRank(out[j].Op)
	})
	return out, nil
}

func opRank(op string) int {
	for i, o := range Operators {
		if o == op {
			return i
		}
	}
	return len(Operators)
}

type adder func(op string, from, to token.Pos, repl string)

func offByOne(add adder, lit *ast.BasicLit) {
	v, err := strconv.ParseInt(lit.Value, 0, 64)
	if err != nil {
		return
	}
	next := v - 1
	if v == 0 {
		next = 1
	}
	add(OpOffByOne, lit.Pos(), lit.End(), strconv.FormatInt(next, 10))
}

// negateCond negates a condition, unless it is an == or != comparison, which the
// equality operator already turns around.
func negateCond(add adder, text func(ast.Node) string, cond ast.Expr) {
	if b, ok := cond.(*ast.BinaryExpr); ok && (b.Op == token.EQL || b.Op == token.NEQ) {
		return
	}
	add(OpNegate, cond.Pos(), cond.End(), "!("+text(cond)+")")
}

// dropStmts removes, one at a time, the statements of a list that do something a test
// could see: calls, assignments (not declarations: removing one would not compile),
// increments, sends and defers; and returns, except the last statement of a function.
func dropStmts(add adder, list []ast.Stmt, functionBody bool) {
	for i, s := range list {
		switch s := s.(type) {
		case *ast.ExprStmt:
			if _, ok := s.X.(*ast.CallExpr); ok {
				add(OpDropStmt, s.Pos(), s.End(), "")
			}
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE {
				add(OpDropStmt, s.Pos(), s.End(), "")
			}
		case *ast.IncDecStmt, *ast.SendStmt, *ast.DeferStmt:
			add(OpDropStmt, s.Pos(), s.End(), "")
		case *ast.ReturnStmt:
			if !(functionBody && i == len(list)-1) {
				add(OpDropReturn, s.Pos(), s.End(), "")
			}
		}
	}
}

// describeChange returns the lines the mutant touches, before and after, with white
// space folded so that each fits on a report line.
func describeChange(src []byte, m OpMutant) (before, after string) {
	ls := lineStart(src, m.Start)
	le := lineEnd(src, m.End)
	before = string(src[ls:le])
	after = string(src[ls:m.Start]) + m.Replacement + string(src[m.End:le])
	return fold(before), fold(after)
}

func lineStart(src []byte, at int) int {
	for at > 0 && src[at-1] != '\n' {
		at--
	}
	return at
}

func lineEnd(src []byte, at int) int {
	for at < len(src) && src[at] != '\n' {
		at++
	}
	return at
}

// fold joins the lines of s with " ⏎ " after trimming each, and shortens the result.
func fold(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	out := strings.Join(parts, " ⏎ ")
	if r := []rune(out); len(r) > 160 {
		out = string(r[:157]) + "..."
	}
	if out == "" {
		return "(nothing)"
	}
	return out
}
