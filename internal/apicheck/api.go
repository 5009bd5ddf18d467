package apicheck

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Packages are the public packages, by directory from the module root.
var Packages = []string{"capture", "capture/microphone", "encode", "platform", "rtmpsrc", "rtmptest"}

// File is the api file of the package in dir, from the module root.
func File(dir string) string {
	return filepath.Join("api", strings.ReplaceAll(dir, "/", "_")+".txt")
}

// Features lists the exported API of the package in dir, one line a
// feature, sorted, in the manner of Go's api files: each function and
// method with its signature, each type with its kind, fields and
// interface methods, each constant and variable with its type or value.
// Files are those a linux/amd64 build with cgo compiles; the project's
// exported API is the same on every platform.
func Features(dir string) ([]string, error) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", true
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := ctx.MatchFile(dir, name); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("apicheck: no Go files in %s", dir)
	}
	w := &walker{fset: fset, pkg: "pkg " + files[0].Name.Name + ", "}
	for _, f := range files {
		for _, d := range f.Decls {
			w.decl(d)
		}
	}
	slices.Sort(w.out)
	return slices.Compact(w.out), nil
}

type walker struct {
	fset *token.FileSet
	pkg  string
	out  []string
}

func (w *walker) add(format string, args ...any) {
	w.out = append(w.out, w.pkg+fmt.Sprintf(format, args...))
}

// expr prints a type or value expression on one line.
func (w *walker) expr(e ast.Expr) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, w.fset, e)
	return strings.Join(strings.Fields(b.String()), " ")
}

// signature prints a function type without parameter names.
func (w *walker) signature(ft *ast.FuncType) string {
	s := "(" + w.types(ft.Params) + ")"
	if ft.Results != nil && len(ft.Results.List) > 0 {
		r := w.types(ft.Results)
		if len(ft.Results.List) == 1 && len(ft.Results.List[0].Names) <= 1 {
			s += " " + r
		} else {
			s += " (" + r + ")"
		}
	}
	return s
}

func (w *walker) types(fl *ast.FieldList) string {
	var ts []string
	for _, f := range fl.List {
		for range max(1, len(f.Names)) {
			ts = append(ts, w.expr(f.Type))
		}
	}
	return strings.Join(ts, ", ")
}

func (w *walker) decl(d ast.Decl) {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return
		}
		if d.Recv == nil {
			w.add("func %s%s", d.Name.Name, w.signature(d.Type))
			return
		}
		recv := d.Recv.List[0].Type
		base := recv
		if s, ok := base.(*ast.StarExpr); ok {
			base = s.X
		}
		if id, ok := base.(*ast.Ident); !ok || !id.IsExported() {
			return
		}
		w.add("method (%s) %s%s", w.expr(recv), d.Name.Name, w.signature(d.Type))
	case *ast.GenDecl:
		switch d.Tok {
		case token.TYPE:
			for _, s := range d.Specs {
				w.typeSpec(s.(*ast.TypeSpec))
			}
		case token.CONST, token.VAR:
			w.valueSpecs(d)
		}
	}
}

func (w *walker) typeSpec(s *ast.TypeSpec) {
	if !s.Name.IsExported() {
		return
	}
	name := s.Name.Name
	if s.Assign.IsValid() {
		w.add("type %s = %s", name, w.expr(s.Type))
		return
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		w.add("type %s struct", name)
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 { // embedded
				if id := embeddedName(f.Type); ast.IsExported(id) {
					w.add("type %s struct, embedded %s", name, w.expr(f.Type))
				}
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					w.add("type %s struct, %s %s", name, n.Name, w.expr(f.Type))
				}
			}
		}
	case *ast.InterfaceType:
		var methods []string
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				w.add("type %s interface, embedded %s", name, w.expr(m.Type))
				continue
			}
			for _, n := range m.Names {
				if !n.IsExported() {
					continue
				}
				methods = append(methods, n.Name)
				w.add("type %s interface, %s%s", name, n.Name, w.signature(m.Type.(*ast.FuncType)))
			}
		}
		w.add("type %s interface { %s }", name, strings.Join(methods, ", "))
	default:
		w.add("type %s %s", name, w.expr(s.Type))
	}
}

func embeddedName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return embeddedName(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// valueSpecs lists the exported constants and variables of a group. In a
// constant group a spec without type or value repeats the previous one's
// (iota).
func (w *walker) valueSpecs(d *ast.GenDecl) {
	kind := d.Tok.String()
	var typ ast.Expr
	var vals []ast.Expr
	for _, s := range d.Specs {
		vs := s.(*ast.ValueSpec)
		if vs.Type != nil || len(vs.Values) > 0 {
			typ, vals = vs.Type, vs.Values
		}
		for i, n := range vs.Names {
			if !n.IsExported() {
				continue
			}
			switch {
			case typ != nil:
				w.add("%s %s %s", kind, n.Name, w.expr(typ))
			case i < len(vals):
				w.add("%s %s = %s", kind, n.Name, w.expr(vals[i]))
			default:
				w.add("%s %s", kind, n.Name)
			}
		}
	}
}
