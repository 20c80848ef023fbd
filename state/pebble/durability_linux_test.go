// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/state/pebble"
)

// durabilityChildEnv makes the test binary run durabilityChild instead of
// the tests: it commits key i in batch i and prints i once Commit returns.
const durabilityChildEnv = "EDDY_PEBBLE_DURABILITY_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(durabilityChildEnv); dir != "" {
		durabilityChild(dir)
		return
	}
	os.Exit(m.Run())
}

func durabilityChild(dir string) {
	b, err := pebble.Open(dir, pebble.Options{Sync: true})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	kv, err := b.KeyValue("kv")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		k := []byte(strconv.Itoa(i))
		if err := kv.Put(k, make([]byte, 512)); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		if err := b.Commit(map[string]int64{"in/0": int64(i)}); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// With Options.Sync, every commit the process saw returned is there after
// it is killed with SIGKILL mid-stream (no clean close).
func TestSyncedCommitsSurviveSIGKILL(t *testing.T) {
	for round := range 3 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), durabilityChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(out)
		last := -1
		for sc.Scan() && last < 200+round*150 {
			n, err := strconv.Atoi(sc.Text())
			require.NoError(t, err, "child: %s", sc.Text())
			last = n
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		b, err := pebble.Open(dir, pebble.Options{})
		require.NoError(t, err)
		offs, err := b.Offsets()
		require.NoError(t, err)
		require.GreaterOrEqual(t, offs["in/0"], int64(last), "round %d: the last commit the child saw returned is durable", round)
		kv, err := b.KeyValue("kv")
		require.NoError(t, err)
		for i := 0; i <= last; i++ {
			v, err := kv.Get([]byte(strconv.Itoa(i)))
			require.NoError(t, err)
			require.NotNil(t, v, "round %d: key %d of %d", round, i, last)
		}
		require.NoError(t, b.Close())
	}
}
