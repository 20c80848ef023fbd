// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
)

// scriptEnv names the scripts/kafka.sh that runs the broker under test; the
// broker-restart test needs it to stop and start that broker.
const scriptEnv = "EDDY_KAFKA_SCRIPT"

// kafkaScript runs `kafka.sh cmd` and fails the test if it fails.
func kafkaScript(t *testing.T, cmd string) {
	t.Helper()
	script := os.Getenv(scriptEnv)
	start := time.Now()
	out, err := exec.Command(script, cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, cmd, err, out)
	}
	t.Logf("%s %s: %v (%s)", script, cmd, time.Since(start).Round(100*time.Millisecond), trimOutput(out))
}

func trimOutput(b []byte) string {
	if len(b) > 300 {
		b = b[len(b)-300:]
	}
	return string(b)
}

// The real broker process is stopped and started again while two
// applications (at-least-once and exactly-once) process a steady input
// stream: both ride out the outage — their transactions time out on the
// broker, producers are fenced and rebuilt, clients reconnect — and end with
// exact counts under exactly-once (every update committed once) and no lost
// input under at-least-once (where interrupted cycles may count twice).
func TestBrokerRestartMidRun(t *testing.T) {
	k := needKafka(t)
	if os.Getenv(scriptEnv) == "" {
		t.Skipf("*** SKIPPED: %s is not set: it must name the scripts/kafka.sh that runs the broker at %s", scriptEnv, brokers)
	}
	type app struct {
		g       runtime.Guarantee
		in, out string
		c       *corpus
		inst    *instance
	}
	var apps []*app
	for i, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		sub := &kafka{t: t, adm: k.adm, cl: k.cl, prefix: k.prefix + g.String() + "-"}
		topo, in, out := wordCountSetup(sub, 3)
		a := &app{g: g, in: in, out: out, c: newCorpus(uint64(40 + i))}
		a.inst = sub.start("i-"+g.String(), topo(), runtime.Config{AppID: sub.name("app"), Guarantee: g,
			CommitInterval: 200 * time.Millisecond})
		apps = append(apps, a)
	}
	for _, a := range apps {
		k.produceLines(a.in, a.c.lines(200, 50)...)
		a.inst.waitRunning(outputTimeout)
	}

	// Input keeps arriving through the outage; the test's producer retries
	// until the broker is back.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, a := range apps {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if err := k.tryProduce(a.in, lineRecs(a.c.lines(20, 50))...); err != nil {
					t.Errorf("%s: produce input during the broker restart: %v", a.g, err)
					return
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	kafkaScript(t, "stop")
	time.Sleep(3 * time.Second)
	kafkaScript(t, "start")
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()

	for _, a := range apps {
		select {
		case <-a.inst.done:
			t.Fatalf("%s: the application stopped: %v", a.g, a.inst.err)
		default:
		}
		tl := k.tail(a.out)
		want := a.c.counts()
		if a.g == runtime.ExactlyOnce {
			k.waitCounts(tl, want, 3*outputTimeout)
		} else {
			// At-least-once may count records of the interrupted cycles
			// twice: wait until nothing is missing.
			if !tl.until(3*outputTimeout, func(rs []*kgo.Record) bool { return atLeast(latest(t, rs), want) }) {
				t.Fatalf("%s: counts not reached within %v:\n%s", a.out, 3*outputTimeout, diffCounts(want, latest(t, tl.recs)))
			}
		}
		select {
		case <-a.inst.done:
			t.Fatalf("%s: the application stopped: %v", a.g, a.inst.err)
		default:
		}
		t.Logf("%s: metrics after the restart: %+v", a.g, a.inst.app.Metrics())
		a.inst.mustStop()
		rs := k.readAll(a.out, readTimeout)
		got := latest(t, rs)
		if a.g == runtime.ExactlyOnce {
			checkCounts(t, a.g.String()+": final read_committed counts", want, got)
			checkEveryUpdateOnce(t, rs, want)
		} else {
			if !atLeast(got, want) {
				t.Errorf("%s: inputs lost:\n%s", a.g, diffCounts(want, got))
			}
			dup := int64(0)
			for w, n := range got {
				dup += n - want[w]
			}
			t.Logf("%s: %d words counted twice across the outage (allowed)", a.g, dup)
		}
	}
}

// atLeast reports whether every key of want has a count of at least want's.
func atLeast(got, want map[string]int64) bool {
	for w, n := range want {
		if got[w] < n {
			return false
		}
	}
	return true
}
