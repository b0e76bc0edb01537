package deploy

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The facts the deploy files are checked against, read from the Go sources
// of the binary rather than restated here: the flags of each subcommand
// (cmd/omnistream), the valid roles (internal/app/config.go) and the HTTP
// routes every process serves (internal/app/routes.go).

// flagKind says how a flag parses its value.
type flagKind string

const (
	kindString   flagKind = "string"
	kindBool     flagKind = "bool"
	kindInt      flagKind = "integer"
	kindFloat    flagKind = "float"
	kindDuration flagKind = "duration"
	kindList     flagKind = "list"
	kindAny      flagKind = "value" // a flag.Value whose syntax is not known here
)

// codeFacts are what the checks need to know about the binary.
type codeFacts struct {
	// commands maps a subcommand of omnistream to its flags and their kinds.
	commands map[string]map[string]flagKind
	// roles are the valid values of -roles.
	roles []string
	// routes are the paths served with GET by every HTTP-serving process.
	routes map[string]bool
}

// envName is the environment variable of a flag, as cmd/omnistream's
// envDefaults derives it.
func envName(flag string) string {
	return "OMNISTREAM_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// envFlag returns the flag and kind behind an environment variable of cmd.
func (f *codeFacts) envFlag(cmd, env string) (string, flagKind, bool) {
	for name, kind := range f.commands[cmd] {
		if envName(name) == env {
			return name, kind, true
		}
	}
	return "", "", false
}

// flagNames lists cmd's flags, sorted.
func (f *codeFacts) flagNames(cmd string) []string {
	var out []string
	for name := range f.commands[cmd] {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (f *codeFacts) validRole(r string) bool {
	for _, v := range f.roles {
		if v == r {
			return true
		}
	}
	return false
}

// loadFacts reads the facts from the module rooted at root.
func loadFacts(root string) (*codeFacts, error) {
	cmds, err := parseCommands(filepath.Join(root, "cmd", "omnistream"))
	if err != nil {
		return nil, err
	}
	roles, err := parseRoles(filepath.Join(root, "internal", "app", "config.go"))
	if err != nil {
		return nil, err
	}
	routes, err := parseRoutes(filepath.Join(root, "internal", "app", "routes.go"))
	if err != nil {
		return nil, err
	}
	return &codeFacts{commands: cmds, roles: roles, routes: routes}, nil
}

// flagMethods are the flag.FlagSet methods that define a flag, with the
// index of the name argument, the argument count and the kind.
var flagMethods = map[string]struct {
	nameArg, args int
	kind          flagKind
}{
	"String": {0, 3, kindString}, "StringVar": {1, 4, kindString},
	"Bool": {0, 3, kindBool}, "BoolVar": {1, 4, kindBool},
	"Int": {0, 3, kindInt}, "IntVar": {1, 4, kindInt},
	"Int64": {0, 3, kindInt}, "Int64Var": {1, 4, kindInt},
	"Uint": {0, 3, kindInt}, "UintVar": {1, 4, kindInt},
	"Uint64": {0, 3, kindInt}, "Uint64Var": {1, 4, kindInt},
	"Float64": {0, 3, kindFloat}, "Float64Var": {1, 4, kindFloat},
	"Duration": {0, 3, kindDuration}, "DurationVar": {1, 4, kindDuration},
	"Var": {1, 3, kindAny}, "Func": {0, 3, kindAny}, "BoolFunc": {0, 3, kindAny}, "TextVar": {1, 4, kindAny},
}

// valueKinds are the flag.Value types of cmd/omnistream whose syntax is known.
var valueKinds = map[string]flagKind{"listFlag": kindList, "int32Flag": kindInt}

// parseCommands maps each subcommand dispatched by main's switch to the
// flags defined by the function it calls and, transitively, by the package
// functions that function calls (appFlags for run, migrate and team).
func parseCommands(dir string) (map[string]map[string]flagKind, error) {
	fset := token.NewFileSet()
	funcs := map[string]*ast.FuncDecl{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Body != nil {
				funcs[fd.Name.Name] = fd
			}
		}
	}
	memo := map[string]map[string]flagKind{}
	var flagsOf func(name string) map[string]flagKind
	flagsOf = func(name string) map[string]flagKind {
		if m, ok := memo[name]; ok {
			return m
		}
		out := map[string]flagKind{}
		memo[name] = out // also guards recursion
		fd := funcs[name]
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fun := call.Fun.(type) {
			case *ast.SelectorExpr:
				m, ok := flagMethods[fun.Sel.Name]
				if !ok || len(call.Args) != m.args {
					return true
				}
				lit, ok := call.Args[m.nameArg].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				flagName, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				kind := m.kind
				if fun.Sel.Name == "Var" {
					kind = valueKind(fd, call.Args[0])
				}
				out[flagName] = kind
			case *ast.Ident:
				if _, ok := funcs[fun.Name]; ok {
					for k, v := range flagsOf(fun.Name) {
						out[k] = v
					}
				}
			}
			return true
		})
		return out
	}
	main, ok := funcs["main"]
	if !ok {
		return nil, fmt.Errorf("%s: no func main", dir)
	}
	cmds := map[string]map[string]flagKind{}
	ast.Inspect(main.Body, func(n ast.Node) bool {
		cc, ok := n.(*ast.CaseClause)
		if !ok {
			return true
		}
		flags := map[string]flagKind{}
		for _, st := range cc.Body {
			ast.Inspect(st, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if id, ok := call.Fun.(*ast.Ident); ok {
						if _, ok := funcs[id.Name]; ok {
							for k, v := range flagsOf(id.Name) {
								flags[k] = v
							}
						}
					}
				}
				return true
			})
		}
		for _, e := range cc.List {
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if name, err := strconv.Unquote(lit.Value); err == nil && !strings.HasPrefix(name, "-") && len(flags) > 0 {
					cmds[name] = flags
				}
			}
		}
		return true
	})
	if len(cmds) == 0 {
		return nil, fmt.Errorf("%s: found no subcommands in main's switch", dir)
	}
	return cmds, nil
}

// valueKind tells the kind of a flag.Value argument: a conversion
// (*listFlag)(&x), a literal int32Flag{...}, or &v of a variable declared
// with its type in fd.
func valueKind(fd *ast.FuncDecl, e ast.Expr) flagKind {
	typeName := ""
	switch x := e.(type) {
	case *ast.CompositeLit:
		if id, ok := x.Type.(*ast.Ident); ok {
			typeName = id.Name
		}
	case *ast.CallExpr:
		if p, ok := x.Fun.(*ast.ParenExpr); ok {
			if s, ok := p.X.(*ast.StarExpr); ok {
				if id, ok := s.X.(*ast.Ident); ok {
					typeName = id.Name
				}
			}
		}
	case *ast.UnaryExpr:
		if id, ok := x.X.(*ast.Ident); ok && x.Op == token.AND {
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok {
					return true
				}
				for _, name := range vs.Names {
					if t, ok := vs.Type.(*ast.Ident); ok && name.Name == id.Name {
						typeName = t.Name
					}
				}
				return true
			})
		}
	}
	if k, ok := valueKinds[typeName]; ok {
		return k
	}
	return kindAny
}

// parseRoles returns the values of the Role* constants.
func parseRoles(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	var roles []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Role") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					roles = append(roles, v)
				}
			}
		}
	}
	if len(roles) == 0 {
		return nil, fmt.Errorf("%s: no Role* constants", path)
	}
	return roles, nil
}

var routeRe = regexp.MustCompile(`^GET (/\S*)$`)

// parseRoutes returns the paths of the "GET /path" patterns in path.
func parseRoutes(path string) (map[string]bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	routes := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				if m := routeRe.FindStringSubmatch(s); m != nil {
					routes[m[1]] = true
				}
			}
		}
		return true
	})
	if len(routes) == 0 {
		return nil, fmt.Errorf("%s: no GET routes", path)
	}
	return routes, nil
}
