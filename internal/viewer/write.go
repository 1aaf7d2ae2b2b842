package viewer

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
)

var (
	//go:embed page.html
	pageHTML string
	//go:embed page.css
	pageCSS string
	//go:embed page.js
	pageJS string
)

var page = template.Must(template.New("viewer").Parse(pageHTML))

// Write writes the run as one self-contained HTML page: its script, its
// style and its data are all in the page, which loads nothing from anywhere.
func Write(w io.Writer, in Input) error {
	m := Build(in)
	// json.Marshal escapes <, > and &, so the data cannot end its script
	// element early.
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return page.Execute(w, struct {
		Title string
		CSS   template.CSS
		JS    template.JS
		Data  template.JS
	}{m.Title, template.CSS(pageCSS), template.JS(pageJS), template.JS(data)})
}
