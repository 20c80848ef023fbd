package statetest

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/eddy-streams/eddy/state"
)

// The files in testdata/ are scripts of cases. Each case is a command line,
// optional input lines, a "----" line and the expected output, ending at a
// blank line:
//
//	put store=s
//	a 1
//	b 2
//	----
//	ok
//
// Keys and values are words, or Go-quoted strings for bytes that are not
// printable; <nil> is a nil value. Lines starting with # are comments. A file
// whose first line is "# requires persistent" runs only for persistent
// backends. The commands are listed in (*script).run.
//
//go:embed testdata/*.txt
var testdata embed.FS

func runDataDriven(t *testing.T, cfg Config) {
	files, err := fs.Glob(testdata, "testdata/*.txt")
	noErr(t, err)
	for _, name := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(name, "testdata/"), ".txt"), func(t *testing.T) {
			data, err := testdata.ReadFile(name)
			noErr(t, err)
			if strings.HasPrefix(string(data), "# requires persistent") && !cfg.Persistent {
				t.Skip("backend is not persistent")
			}
			sc := &script{e: newEnv(t, cfg), windows: map[string]state.WindowOptions{}}
			for _, c := range parseCases(t, name, string(data)) {
				got := sc.run(c)
				if got != c.want {
					t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", name, c.line, c.cmd, got, c.want)
				}
			}
		})
	}
}

type ddCase struct {
	line  int
	cmd   string
	args  map[string]string
	input []string
	want  string
}

func parseCases(t *testing.T, name, data string) []ddCase {
	var cases []ddCase
	sc := bufio.NewScanner(strings.NewReader(data))
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return sc.Text(), true
	}
	for {
		l, ok := next()
		if !ok {
			return cases
		}
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		c := ddCase{line: line, args: map[string]string{}}
		fields := strings.Fields(l)
		c.cmd = fields[0]
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			c.args[k] = v
		}
		for {
			l, ok = next()
			if !ok {
				t.Fatalf("%s:%d: case without ----", name, c.line)
			}
			if l == "----" {
				break
			}
			c.input = append(c.input, l)
		}
		var out []string
		for {
			l, ok = next()
			if !ok || l == "" {
				break
			}
			out = append(out, l)
		}
		c.want = strings.Join(out, "\n")
		cases = append(cases, c)
	}
}

// script runs cases against one backend.
type script struct {
	e       *env
	windows map[string]state.WindowOptions // options of opened window stores
}

// words splits a line into words and Go-quoted strings.
func words(line string) ([]string, error) {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				return nil, err
			}
			s, _ := strconv.Unquote(q)
			out = append(out, s)
			line = line[len(q):]
			continue
		}
		i := strings.IndexFunc(line, unicode.IsSpace)
		if i < 0 {
			i = len(line)
		}
		out = append(out, line[:i])
		line = line[i:]
	}
	return out, nil
}

// bytesOf decodes a word; "<nil>" is nil.
func bytesOf(w string) []byte {
	if w == "<nil>" {
		return nil
	}
	return []byte(w)
}

func fmtBytes(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	s := string(b)
	if s == "" || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '"' }) {
		return strconv.Quote(s)
	}
	return s
}

func (sc *script) argBytes(c ddCase, name string) []byte {
	v, ok := c.args[name]
	if !ok {
		return nil
	}
	ws, err := words(v)
	if err != nil || len(ws) != 1 {
		return []byte(v)
	}
	return []byte(ws[0])
}

func argInt(c ddCase, name string, def int64) int64 {
	v, ok := c.args[name]
	if !ok {
		return def
	}
	switch v {
	case "min":
		return math.MinInt64
	case "max":
		return math.MaxInt64
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("bad %s=%s", name, v))
	}
	return n
}

func (sc *script) run(c ddCase) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = fmt.Sprint("panic: ", r)
		}
	}()
	var lines []string
	emit := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	fail := func(err error) string { return "error: " + err.Error() }
	inputs := make([][]string, len(c.input))
	for i, l := range c.input {
		ws, err := words(l)
		if err != nil {
			return fail(err)
		}
		inputs[i] = ws
	}
	kv := func() state.KeyValueStore {
		s, err := sc.e.b.KeyValue(c.args["store"])
		if err != nil {
			panic(err)
		}
		return s
	}
	win := func() state.WindowStore {
		name := c.args["store"]
		opts, ok := sc.windows[name]
		if !ok {
			panic("window store " + name + " not declared")
		}
		w, err := sc.e.b.Window(name, opts)
		if err != nil {
			panic(err)
		}
		return w
	}
	kvs := func(seq func(yield func(state.KeyValue, error) bool)) string {
		for kv, err := range seq {
			if err != nil {
				return fail(err)
			}
			emit("%s %s", fmtBytes(kv.Key), fmtBytes(kv.Value))
		}
		if len(lines) == 0 {
			return "<empty>"
		}
		return strings.Join(lines, "\n")
	}
	wes := func(seq func(yield func(state.WindowEntry, error) bool)) string {
		for we, err := range seq {
			if err != nil {
				return fail(err)
			}
			emit("%s %d %s", fmtBytes(we.Key), we.WindowStart, fmtBytes(we.Value))
		}
		if len(lines) == 0 {
			return "<empty>"
		}
		return strings.Join(lines, "\n")
	}
	bound := func(name string) []byte {
		if _, ok := c.args[name]; !ok {
			return nil
		}
		return sc.argBytes(c, name)
	}
	_, reverse := c.args["reverse"]

	switch c.cmd {
	case "put":
		s := kv()
		for _, in := range inputs {
			if err := s.Put(bytesOf(in[0]), bytesOf(in[1])); err != nil {
				return fail(err)
			}
		}
		return "ok"
	case "delete":
		s := kv()
		for _, in := range inputs {
			if err := s.Delete(bytesOf(in[0])); err != nil {
				return fail(err)
			}
		}
		return "ok"
	case "get":
		s := kv()
		for _, in := range inputs {
			v, err := s.Get(bytesOf(in[0]))
			if err != nil {
				return fail(err)
			}
			emit("%s %s", fmtBytes(bytesOf(in[0])), fmtBytes(v))
		}
		return strings.Join(lines, "\n")
	case "range":
		if reverse {
			return kvs(kv().ReverseRange(bound("from"), bound("to")))
		}
		return kvs(kv().Range(bound("from"), bound("to")))
	case "prefix":
		return kvs(kv().PrefixScan(sc.argBytes(c, "p")))
	case "all":
		return kvs(kv().All())
	case "count":
		n, err := kv().ApproximateNumEntries()
		if err != nil {
			return fail(err)
		}
		return fmt.Sprint(n)
	case "window":
		_, dup := c.args["dup"]
		sc.windows[c.args["store"]] = state.WindowOptions{
			Retention:        argInt(c, "retention", 0),
			SegmentInterval:  argInt(c, "segment", 0),
			RetainDuplicates: dup,
		}
		win()
		return "ok"
	case "wput":
		w := win()
		for _, in := range inputs {
			start, err := strconv.ParseInt(in[1], 10, 64)
			if err != nil {
				return fail(err)
			}
			if err := w.Put(bytesOf(in[0]), start, bytesOf(in[2])); err != nil {
				return fail(err)
			}
		}
		return "ok"
	case "wfetch":
		w := win()
		for _, in := range inputs {
			start, err := strconv.ParseInt(in[1], 10, 64)
			if err != nil {
				return fail(err)
			}
			v, err := w.Fetch(bytesOf(in[0]), start)
			if err != nil {
				return fail(err)
			}
			emit("%s %d %s", fmtBytes(bytesOf(in[0])), start, fmtBytes(v))
		}
		return strings.Join(lines, "\n")
	case "wrange":
		w := win()
		key, from, to := sc.argBytes(c, "key"), argInt(c, "from", math.MinInt64), argInt(c, "to", math.MaxInt64)
		if reverse {
			return wes(w.BackwardFetchRange(key, from, to))
		}
		return wes(w.FetchRange(key, from, to))
	case "wkeyrange":
		return wes(win().FetchKeyRange(bound("kfrom"), bound("kto"), argInt(c, "from", math.MinInt64), argInt(c, "to", math.MaxInt64)))
	case "wall":
		return wes(win().All())
	case "observed":
		t := win().ObservedTime()
		if t == state.MinTime {
			return "min"
		}
		return fmt.Sprint(t)
	case "commit":
		offs := map[string]int64{}
		for _, in := range inputs {
			n, err := strconv.ParseInt(in[1], 10, 64)
			if err != nil {
				return fail(err)
			}
			offs[in[0]] = n
		}
		if err := sc.e.b.Commit(offs); err != nil {
			return fail(err)
		}
		return "ok"
	case "abort":
		if err := sc.e.b.Abort(); err != nil {
			return fail(err)
		}
		return "ok"
	case "offsets":
		offs, err := sc.e.b.Offsets()
		if err != nil {
			return fail(err)
		}
		if len(offs) == 0 {
			return "<empty>"
		}
		var keys []string
		for k := range offs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			emit("%s %d", k, offs[k])
		}
		return strings.Join(lines, "\n")
	case "reopen":
		sc.e.reopen()
		return "ok"
	}
	return "unknown command " + c.cmd
}
