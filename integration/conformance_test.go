// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/stream"
)

// Conformance with Java Kafka Streams on one broker: the Java reference
// module (java/, Kafka Streams 4.4.0) and Eddy run the same topology on
// identical input topics — same bytes, keys, timestamps and partitions —
// each on its own topics (--topic-prefix), both exactly-once with the record
// cache off (Kafka Streams' statestore.cache.max.bytes=0; Eddy has no cache),
// and their committed outputs must match:
//   - every key on the same output partition,
//   - per key, the same sequence of value bytes (count updates are
//     deterministic per key whatever the interleaving of input partitions),
//   - per key, the same last record: key bytes (windowed-key bytes
//     included), value bytes and timestamp,
//   - and both equal the counts a model of the input predicts.
//
// Enrichment writes all its input before either application starts and
// compares every record (values and timestamps per key, in order).
func TestConformanceWithKafkaStreams(t *testing.T) {
	needJavaReference(t)

	t.Run("wordcount", func(t *testing.T) {
		k := needKafka(t)
		c := newCorpus(21)
		var in []rec
		base := time.Now().Add(-time.Hour).UnixMilli()
		lines := c.lines(600, 120)
		// Edge cases of the word split and of Java's Locale.ROOT lower case
		// (dotted capital I, final sigma), which examples/wordcount follows.
		for _, l := range []string{"", "   ", "\t\n", "Grüße GRÜSSE straße", "ÉCOLE école", "ǅemal ǄEMAL",
			"a\u00a0b c\u2003d", "日本語 テキスト", "İstanbul ΟΔΟΣ Σ"} {
			lines = append(lines, l)
			for _, w := range words(l) {
				c.want[w]++
			}
		}
		for i, l := range lines {
			r := rec{Key: fmt.Appendf(nil, "line-%d", i), Value: []byte(l), Time: base + int64(i)*37, Partition: int32(i % 3)}
			if i%50 == 7 {
				r.Key = nil // null keys are fine: GroupBy re-keys
			}
			in = append(in, r)
		}
		in = append(in, rec{Key: []byte("null-value"), Value: nil, Time: base, Partition: 1})
		conform(t, k, conformCase{
			topology: "wordcount", inputs: []string{textLines}, output: wordCountsOutput, inParts: 3, outParts: 4,
			build: wordCountTopology, decode: latest,
			phases: []conformPhase{{input: textLines, recs: in[:300]}, {input: textLines, recs: in[300:], want: c.counts()}},
		})
	})

	// Both record caches at their default size (10 MiB): updates are
	// merged per key until each commit, differently in each system, so only
	// the final table is compared — and Eddy must not emit more. The input
	// is written before either application starts: written while they run,
	// how many records each emitted depended on whether it happened to
	// process the first phase before the second arrived (both systems
	// emitted 120–240 records over runs), not on its cache.
	t.Run("wordcount-default-cache", func(t *testing.T) {
		k := needKafka(t)
		c := newCorpus(24)
		var in []rec
		base := time.Now().Add(-time.Hour).UnixMilli()
		for i, l := range c.lines(600, 120) {
			in = append(in, rec{Key: fmt.Appendf(nil, "line-%d", i), Value: []byte(l), Time: base + int64(i)*37, Partition: int32(i % 3)})
		}
		conform(t, k, conformCase{
			topology: "wordcount", inputs: []string{textLines}, output: wordCountsOutput, inParts: 3, outParts: 4,
			build: wordCountTopology, decode: latest, cache: true, prewrite: true,
			phases: []conformPhase{{input: textLines, recs: in[:300]}, {input: textLines, recs: in[300:], want: c.counts()}},
		})
	})

	t.Run("pageviews", func(t *testing.T) {
		k := needKafka(t)
		pv := newPageViewInput(22, 3)
		var phases []conformPhase
		for i, recs := range pv.phases {
			phases = append(phases, conformPhase{input: pageViews, recs: recs, want: pv.want[i]})
		}
		conform(t, k, conformCase{
			topology: "pageviews", inputs: []string{pageViews}, output: pageViewCounts, inParts: 3, outParts: 4,
			build: pageViewsTopology, phases: phases, decode: windowedLatest, onError: runtime.Skip,
		})
	})

	// Every table row and order is on the broker before either application
	// starts; the rows of each phase are older than the orders after them,
	// so processing in timestamp order (Kafka Streams') gives the joins the
	// model predicts.
	t.Run("enrichment", func(t *testing.T) {
		k := needKafka(t)
		e := newEnrichmentInput(23)
		var phases []conformPhase
		for _, p := range e.phases {
			phases = append(phases, conformPhase{input: p.topic, recs: p.recs, want: p.want})
		}
		conform(t, k, conformCase{
			topology: "enrichment", inputs: []string{orders, customers}, output: enrichedOrders, inParts: 3, outParts: 4,
			build: enrichmentTopology, phases: phases, decode: countPerKey, prewrite: true,
		})
	})
}

// needJavaReference skips the test without a broker (skipWithoutKafka) and
// fails it if the Java reference jar or java is missing.
// defaultCacheBytes is Kafka Streams' (and Eddy's) default record cache
// size.
const defaultCacheBytes = 10 << 20

// newestFile returns the most recently modified file under dir and its
// modification time (zero if there is none).
func newestFile(dir string) (string, time.Time) {
	var path string
	var at time.Time
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(at) {
			path, at = p, info.ModTime()
		}
		return nil
	})
	return path, at
}

func needJavaReference(t *testing.T) {
	t.Helper()
	skipWithoutKafka(t)
	jar, err := filepath.Abs(javaReferenceJar)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(jar)
	if err != nil {
		t.Fatalf("%s=%s is set but the Java Kafka Streams reference jar is missing (%v): build it with\n"+
			"    (cd java && mvn -B -q package)\nthen run this test again", brokersEnv, strings.Join(brokers, ","), err)
	}
	if src, at := newestFile(filepath.Join(javaReferenceRoot, "src", "main")); at.After(st.ModTime()) {
		t.Fatalf("the Java Kafka Streams reference jar %s is older than its source %s (a topology it lacks would fail as "+
			"\"unknown topology\"): rebuild it with\n    (cd java && mvn -B -q package)\nthen run this test again", jar, src)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatalf("the conformance test needs java (17+) on PATH: %v", err)
	}
}

// conformPhase is input produced to both applications.
type conformPhase struct {
	input string // unprefixed topic
	recs  []rec
	// want is the decoded output expected after the phase; nil: do not wait.
	want map[string]int64
}

type conformCase struct {
	topology          string   // the Java reference's name
	inputs            []string // unprefixed user topics, created with inParts partitions
	output            string
	inParts, outParts int32
	build             func(testing.TB, string) *stream.Topology
	phases            []conformPhase
	decode            func(*testing.T, []*kgo.Record) map[string]int64
	onError           runtime.ErrorPolicy
	// prewrite writes every phase before either application starts, waits
	// for both to commit the input to its end (and their output to settle),
	// then checks the last phase's want and compares every record: per key
	// the same values, timestamps and partition, in order
	// (TestConformanceTimestampOrder's comparison).
	prewrite bool
	// cache runs both with their record cache at its default size; the
	// outputs must then end in the same table, Eddy's with no more
	// records than Java's.
	cache bool
}

func conform(t *testing.T, k *kafka, c conformCase) {
	javaPrefix, eddyPrefix := k.name("java."), k.name("eddy.")
	for _, p := range []string{javaPrefix, eddyPrefix} {
		for _, in := range c.inputs {
			k.createTopic(p+in, c.inParts)
		}
		k.createTopic(p+c.output, c.outParts)
	}
	if c.prewrite {
		for _, phase := range c.phases {
			k.produce(javaPrefix+phase.input, phase.recs...)
			k.produce(eddyPrefix+phase.input, phase.recs...)
		}
	}
	start := time.Now()
	javaApp, eddyApp := k.name("java-app"), k.name("eddy-app")
	var javaProps []string
	cfg := runtime.Config{AppID: eddyApp, Guarantee: runtime.ExactlyOnce, CommitInterval: 100 * time.Millisecond, OnError: c.onError}
	if c.cache {
		javaProps = append(javaProps, fmt.Sprintf("statestore.cache.max.bytes=%d", defaultCacheBytes))
		cfg.CacheMaxBytes = defaultCacheBytes
	}
	java := startJava(t, c.topology, javaApp, []string{javaPrefix}, javaProps...)
	eddy := k.start("eddy", c.build(t, eddyPrefix), cfg)
	eddy.waitRunning(outputTimeout)
	t.Logf("Eddy RUNNING after %v", time.Since(start).Round(time.Millisecond))
	java.waitRunning(t, 3*time.Minute)
	t.Logf("Java Kafka Streams RUNNING after %v", time.Since(start).Round(time.Millisecond))

	javaOut, eddyOut := k.tail(javaPrefix+c.output), k.tail(eddyPrefix+c.output)
	var final map[string]int64 // the expected output after the last phase
	for _, phase := range c.phases {
		if phase.want != nil {
			final = phase.want
		}
	}
	complete := true
	live := c.phases
	if c.prewrite {
		live = nil // written already: the output is checked once both have finished the input
	}
phases:
	for i, phase := range live {
		k.produce(javaPrefix+phase.input, phase.recs...)
		k.produce(eddyPrefix+phase.input, phase.recs...)
		if phase.want == nil {
			continue
		}
		for _, o := range []struct {
			who string
			tl  *tail
		}{{"Java Kafka Streams", javaOut}, {"Eddy", eddyOut}} {
			if !o.tl.until(outputTimeout, func(rs []*kgo.Record) bool { return equalCounts(phase.want, c.decode(t, rs)) }) {
				java.checkAlive(t)
				// Go on to compare the two outputs: the diff says more.
				t.Errorf("phase %d: %s's output did not reach the counts the model of the input predicts within %v:\n%s",
					i+1, o.who, outputTimeout, diffCounts(phase.want, c.decode(t, o.tl.recs)))
				complete = false
				break phases
			}
		}
	}
	if c.prewrite {
		for _, app := range []struct {
			who, group, prefix string
			alive              func() error
		}{
			{"Java Kafka Streams", javaApp, javaPrefix, func() error {
				select {
				case <-java.exited:
					return fmt.Errorf("exited (%v)", java.waitErr)
				default:
					return nil
				}
			}},
			{"Eddy", eddyApp, eddyPrefix, func() error {
				select {
				case <-eddy.done:
					return fmt.Errorf("stopped (state %v): %v", eddy.app.State(), eddy.err)
				default:
					return nil
				}
			}},
		} {
			var ins []string
			for _, in := range c.inputs {
				ins = append(ins, app.prefix+in)
			}
			if err := k.waitFinished(app.group, ins, []string{app.prefix + c.output}, outputTimeout, app.alive); err != nil {
				t.Errorf("%s did not finish the prewritten input: %v", app.who, err)
				complete = false
			}
		}
	}
	if complete {
		t.Logf("both outputs complete after %v", time.Since(start).Round(time.Millisecond))
	}
	java.stop(t)
	eddy.mustStop()

	jrs := k.readAll(javaPrefix+c.output, readTimeout)
	ers := k.readAll(eddyPrefix+c.output, readTimeout)
	checkCounts(t, "Java Kafka Streams' final output vs the model of the input", final, c.decode(t, jrs))
	checkCounts(t, "Eddy's final output vs the model of the input", final, c.decode(t, ers))
	if c.cache {
		checkCounts(t, "Eddy's final table vs Java Kafka Streams'", c.decode(t, jrs), c.decode(t, ers))
		if len(ers) > len(jrs) {
			t.Errorf("with both caches at their default size, Eddy emitted %d records, Java Kafka Streams %d", len(ers), len(jrs))
		}
		t.Logf("default caches: Eddy %d records, Java Kafka Streams %d, for %d keys", len(ers), len(jrs), len(final))
		return
	}
	if c.prewrite {
		if d, n := diffRecs("Java Kafka Streams", orecs(jrs), "Eddy", orecs(ers), orderMaxKeysInDiff); d != "" {
			t.Errorf("Eddy's records differ from Java Kafka Streams' in %d of %d keys (Java %d records, Eddy %d):\n%s",
				n, len(final), len(jrs), len(ers), d)
		} else {
			t.Logf("identical: %d records, %d keys, on %d partitions", len(ers), len(final), c.outParts)
		}
	} else if d := diffOutputs(jrs, ers); d != "" {
		t.Errorf("Eddy's output differs from Java Kafka Streams' (%d vs %d records):\n%s", len(ers), len(jrs), d)
	} else {
		t.Logf("identical: %d records, %d keys, on %d partitions", len(ers), len(final), c.outParts)
	}
}

// keyOutput is what a key's records look like in an output topic.
type keyOutput struct {
	partitions map[int32]bool
	values     [][]byte // in offset order
	last       *kgo.Record
}

func byKey(rs []*kgo.Record) map[string]*keyOutput {
	out := map[string]*keyOutput{}
	for _, r := range rs {
		ko := out[string(r.Key)]
		if ko == nil {
			ko = &keyOutput{partitions: map[int32]bool{}}
			out[string(r.Key)] = ko
		}
		ko.partitions[r.Partition] = true
		ko.values = append(ko.values, r.Value)
		ko.last = r
	}
	return out
}

// diffOutputs compares two committed outputs key by key; "" if they match.
func diffOutputs(java, eddy []*kgo.Record) string {
	j, e := byKey(java), byKey(eddy)
	keys := slices.Sorted(maps.Keys(j))
	for k := range e {
		if _, ok := j[k]; !ok {
			keys = append(keys, k)
		}
	}
	var b strings.Builder
	n := 0
	add := func(format string, args ...any) {
		if n++; n <= 40 {
			fmt.Fprintf(&b, "  "+format+"\n", args...)
		}
	}
	for _, k := range keys {
		jk, ek := j[k], e[k]
		switch {
		case jk == nil:
			add("key %x (%q): only Eddy wrote it (%d records, last value %x)", k, k, len(ek.values), ek.last.Value)
			continue
		case ek == nil:
			add("key %x (%q): only Java wrote it (%d records, last value %x)", k, k, len(jk.values), jk.last.Value)
			continue
		}
		if jp, ep := slices.Sorted(maps.Keys(jk.partitions)), slices.Sorted(maps.Keys(ek.partitions)); !slices.Equal(jp, ep) {
			add("key %x (%q): partitions Java %v, Eddy %v", k, k, jp, ep)
		}
		if !slices.EqualFunc(jk.values, ek.values, bytes.Equal) {
			add("key %x (%q): value sequence Java %s, Eddy %s", k, k, hexList(jk.values), hexList(ek.values))
		}
		if jl, el := jk.last, ek.last; !bytes.Equal(jl.Value, el.Value) || !jl.Timestamp.Equal(el.Timestamp) {
			add("key %x (%q): last record Java value %x ts %d, Eddy value %x ts %d", k, k,
				jl.Value, jl.Timestamp.UnixMilli(), el.Value, el.Timestamp.UnixMilli())
		}
	}
	if n > 40 {
		fmt.Fprintf(&b, "  … %d differences in all\n", n)
	}
	return b.String()
}

func hexList(vs [][]byte) string {
	var parts []string
	for i, v := range vs {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("… (%d)", len(vs)))
			break
		}
		parts = append(parts, fmt.Sprintf("%x", v))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// javaApp is a running java -jar eddy-reference.jar process.
type javaApp struct {
	cmd     *exec.Cmd
	running chan struct{} // closed at STATE RUNNING
	exited  chan struct{}
	waitErr error

	mu     sync.Mutex
	states []string
	stderr bytes.Buffer
}

// startJava runs the Java reference: topology (or "a,b" to run a on the
// first prefix and b on the second, see java/README.md) on each topic
// prefix, exactly-once, record cache off, with extra --prop key=value.
func startJava(t *testing.T, topology, appID string, prefixes []string, props ...string) *javaApp {
	t.Helper()
	jar, _ := filepath.Abs(javaReferenceJar)
	args := []string{"-Xms64m", "-Xmx512m", "-jar", jar, topology,
		"--bootstrap", strings.Join(brokers, ","), "--app-id", appID,
		"--guarantee", "exactly_once_v2", "--cache-bytes", "0", "--commit-interval-ms", "100",
		"--state-dir", t.TempDir()}
	for _, p := range prefixes {
		args = append(args, "--topic-prefix", p)
	}
	for _, p := range props {
		args = append(args, "--prop", p)
	}
	j := &javaApp{cmd: exec.Command("java", args...), running: make(chan struct{}), exited: make(chan struct{})}
	j.cmd.Stderr = &lockedWriter{mu: &j.mu, w: &j.stderr}
	dieWithParent(j.cmd) // no orphaned JVM if the test binary dies (e.g. go test -timeout)
	stdout, err := j.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := j.cmd.Start(); err != nil {
		t.Fatalf("start java: %v", err)
	}
	t.Logf("started Java Kafka Streams (pid %d): java %s", j.cmd.Process.Pid, strings.Join(args, " "))
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			j.mu.Lock()
			j.states = append(j.states, line)
			j.mu.Unlock()
			if strings.HasPrefix(line, "STATE RUNNING ") {
				once.Do(func() { close(j.running) })
			}
		}
		j.waitErr = j.cmd.Wait()
		close(j.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-j.exited:
		default:
			_ = j.cmd.Process.Kill()
			<-j.exited
		}
		if t.Failed() {
			t.Logf("Java Kafka Streams states: %v\nstderr (tail):\n%s", j.stateLines(), j.stderrTail())
		}
	})
	return j
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (j *javaApp) stateLines() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.states)
}

func (j *javaApp) stderrTail() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.stderr.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

func (j *javaApp) waitRunning(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-j.running:
	case <-j.exited:
		t.Fatalf("Java Kafka Streams exited before RUNNING (%v); states %v\n%s", j.waitErr, j.stateLines(), j.stderrTail())
	case <-time.After(timeout):
		t.Fatalf("Java Kafka Streams not RUNNING within %v; states %v\n%s", timeout, j.stateLines(), j.stderrTail())
	}
}

func (j *javaApp) checkAlive(t *testing.T) {
	t.Helper()
	select {
	case <-j.exited:
		t.Errorf("Java Kafka Streams exited early (%v); states %v\n%s", j.waitErr, j.stateLines(), j.stderrTail())
	default:
	}
}

// stop sends SIGTERM (Kafka Streams closes cleanly, committing) and waits.
func (j *javaApp) stop(t *testing.T) {
	t.Helper()
	j.checkAlive(t)
	_ = j.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-j.exited:
	case <-time.After(90 * time.Second):
		_ = j.cmd.Process.Kill()
		<-j.exited
		t.Fatalf("Java Kafka Streams did not stop within 90 s of SIGTERM; states %v", j.stateLines())
	}
	if states := j.stateLines(); len(states) == 0 || !strings.HasPrefix(states[len(states)-1], "STATE CLOSED") {
		t.Errorf("Java Kafka Streams did not close cleanly: states %v, exit %v\n%s", states, j.waitErr, j.stderrTail())
	}
}
