// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/reset"
)

func parseReset(t *testing.T, args ...string) (*resetFlags, error) {
	t.Helper()
	fs, f := resetFlagSet()
	var out syncBuffer
	if err := parseFlags(&env{stdout: &out, stderr: &out}, resetCommand(), fs, args); err != nil {
		return f, err
	}
	if _, err := f.client.opts(); err != nil {
		return f, err
	}
	_, err := f.position(fs)
	return f, err
}

func TestResetFlags(t *testing.T) {
	fs, f := resetFlagSet()
	args := []string{"-brokers", "k1:9092, k2:9092", "-application-id", "wc", "-input-topics", "a,b", "-input-topics", "c",
		"-intermediate-topics", "mid", "-state-dir", "/var/lib/wc", "-dry-run", "-to-datetime", "2024-05-01T14:00:00.5+02:00"}
	if err := parseFlags(&env{stdout: &syncBuffer{}, stderr: &syncBuffer{}}, resetCommand(), fs, args); err != nil {
		t.Fatal(err)
	}
	if f.appID != "wc" || strings.Join(f.inputs, ",") != "a,b,c" || strings.Join(f.intermediates, ",") != "mid" ||
		f.stateDir != "/var/lib/wc" || !f.dryRun || f.timeout != time.Minute {
		t.Errorf("parsed: %+v", f)
	}
	pos, err := f.position(fs)
	if err != nil {
		t.Fatal(err)
	}
	if want := reset.AtTime(time.Date(2024, 5, 1, 14, 0, 0, 5e8, time.FixedZone("", 2*3600))).String(); pos.String() != want {
		t.Errorf("position %v, want %v", pos, want)
	}
	opts, err := f.client.opts()
	if err != nil || len(opts) != 1 {
		t.Errorf("client options: %d, %v; want only the seed brokers", len(opts), err)
	}

	for args, want := range map[string]string{
		"":                           "earliest",
		"-to-earliest":               "earliest",
		"-to-latest":                 "latest",
		"-to-offset 7":               "offset 7",
		"-by-duration 1h":            "the first record at or after ",
		"-to-datetime 2024-05-01T12": "",
	} {
		fs, f := resetFlagSet()
		all := append([]string{"-brokers", "k:9092", "-application-id", "wc", "-input-topics", "in"}, strings.Fields(args)...)
		if err := parseFlags(&env{stdout: &syncBuffer{}, stderr: &syncBuffer{}}, resetCommand(), fs, all); err != nil {
			t.Fatal(err)
		}
		pos, err := f.position(fs)
		var ue *usageError
		switch {
		case want == "" && !errors.As(err, &ue):
			t.Errorf("%q: err = %v, want a usage error", args, err)
		case want != "" && (err != nil || !strings.HasPrefix(pos.String(), want)):
			t.Errorf("%q: position %v (err %v), want %s", args, pos, err, want)
		}
	}

	base := []string{"-brokers", "k:9092", "-application-id", "wc", "-input-topics", "in"}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{append(base, "-to-latest", "-to-offset", "3"), "-to-latest and -to-offset exclude each other"},
		{append(base, "-to-datetime", "yesterday"), "want a time in RFC 3339"},
		{append(base, "-by-duration", "-1h"), "want a positive duration"},
		{append(base, "-to-earliest=false"), "give another position flag"},
		{[]string{"-brokers", "k:9092", "-application-id", "wc", "-to-latest"}, "give them with -input-topics"},
		{append(base[2:], "-dry-run"), "-brokers is required"},
		{append(base, "-brokers", " , "), "-brokers is required"},
		{append(base, "-tls-cert", "c.pem"), "-tls-cert and -tls-key go together"},
		{append(base, "-sasl-user", "app:pw", "-sasl-mechanism", "GSSAPI"), `-sasl-mechanism "GSSAPI"`},
		{append(base, "-input-topics", "a,,b"), "empty topic name"},
		{append(base, "extra"), `unexpected argument "extra"`},
	} {
		_, err := parseReset(t, tc.args...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: err = %v, want a usage error containing %q", tc.args, err, tc.msg)
		}
	}

	t.Setenv(saslPasswordEnv, "")
	if _, err := parseReset(t, append(base, "-sasl-user", "app")...); err == nil || !strings.Contains(err.Error(), saslPasswordEnv) {
		t.Errorf("-sasl-user without a password: %v", err)
	}
	t.Setenv(saslPasswordEnv, "from-env")
	if _, err := parseReset(t, append(base, "-sasl-user", "app")...); err != nil {
		t.Errorf("-sasl-user with $%s: %v", saslPasswordEnv, err)
	}

	code, _, stderr := runEddy(t, "reset", "-brokers", "k:9092", "-input-topics", "in")
	if code != 2 || !strings.Contains(stderr, "-application-id is required") || !strings.Contains(stderr, "eddy help reset") {
		t.Errorf("no application id: exit %d, stderr:\n%s", code, stderr)
	}
}

// "eddy reset" against "eddy broker": a dry run prints the plan and
// changes nothing, the reset resets offsets, deletes internal topics and
// local state, and a live group member makes it refuse.
func TestResetCommand(t *testing.T) {
	addr, _ := startBroker(t, "-port", "0", "-topic", "lines:2,wc-counts-changelog:2,wc-counts-changelog-old,other")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var rs []*kgo.Record
	for i := range 6 {
		rs = append(rs, &kgo.Record{Topic: "lines", Partition: int32(i % 2), Value: []byte("x")})
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: "lines", Partition: 0, At: 3, LeaderEpoch: -1})
	commit.Add(kadm.Offset{Topic: "lines", Partition: 1, At: 2, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, "wc", commit); err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	for _, d := range []string{"0_0", "0_1", "global"} {
		if err := os.MkdirAll(filepath.Join(stateDir, "wc", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(stateDir, "wc", "instance-id"), []byte("abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	offsets := func() string {
		t.Helper()
		resp, err := adm.FetchOffsets(ctx, "wc")
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, o := range resp.Sorted() {
			s = append(s, fmt.Sprintf("%s/%d=%d", o.Topic, o.Partition, o.At))
		}
		return strings.Join(s, " ")
	}
	topicExists := func(topic string) bool {
		t.Helper()
		// A fresh client: a client caches topic metadata.
		fresh, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		ds, err := kadm.NewClient(fresh).ListTopics(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		return ds[topic].Err == nil
	}
	args := []string{"reset", "-brokers", addr, "-application-id", "wc", "-input-topics", "lines", "-state-dir", stateDir, "-timeout", "20s"}

	code, stdout, stderr := runEddy(t, append(args, "-dry-run")...)
	if code != 0 {
		t.Fatalf("dry run: exit %d, stderr:\n%s", code, stderr)
	}
	for _, s := range []string{"Dry run: nothing is changed", "lines/0: 3 -> 0", "lines/1: 2 -> 0",
		"Delete internal topics:\n  wc-counts-changelog\n", "Delete local state in " + filepath.Join(stateDir, "wc"), "  0_0\n", "  global\n"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("dry run output lacks %q:\n%s", s, stdout)
		}
	}
	if strings.Contains(stdout, "wc-counts-changelog-old") || strings.Contains(stdout, "Applying:") {
		t.Errorf("dry run output:\n%s", stdout)
	}
	if got := offsets(); got != "lines/0=3 lines/1=2" || !topicExists("wc-counts-changelog") {
		t.Fatalf("dry run changed offsets (%s) or deleted the changelog", got)
	}
	if _, err := os.Stat(filepath.Join(stateDir, "wc", "0_0")); err != nil {
		t.Fatalf("dry run deleted local state: %v", err)
	}

	// A live member of the group: the reset refuses and changes nothing.
	member, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("wc"), kgo.ConsumeTopics("other"), kgo.ClientID("instance-1"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		d, err := adm.DescribeGroups(ctx, "wc")
		if err == nil && d["wc"].State == "Stable" {
			break
		}
		pollCtx, pollCancel := context.WithTimeout(ctx, 100*time.Millisecond)
		member.PollFetches(pollCtx)
		pollCancel()
		if ctx.Err() != nil {
			t.Fatal("the member did not join the group")
		}
	}
	code, stdout, stderr = runEddy(t, args...)
	member.Close()
	if code != 1 || !strings.Contains(stderr, `consumer group "wc" has 1 live member(s): instance-1@`) ||
		!strings.Contains(stderr, "stop every instance") || strings.Contains(stdout, "Applying:") {
		t.Errorf("with a live member: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got := offsets(); got != "lines/0=3 lines/1=2" || !topicExists("wc-counts-changelog") {
		t.Fatalf("a refused reset changed offsets (%s) or deleted the changelog", got)
	}

	code, stdout, stderr = runEddy(t, args...)
	if code != 0 {
		t.Fatalf("reset: exit %d, stderr:\n%s", code, stderr)
	}
	for _, s := range []string{"Resetting:", "Applying:\n", `  committed offsets of consumer group "wc" on lines (2 partitions) to earliest`,
		"  deleted topic wc-counts-changelog", "  deleted local state " + filepath.Join(stateDir, "wc", "0_0"),
		`Reset of application "wc" complete`} {
		if !strings.Contains(stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, stdout)
		}
	}
	if got := offsets(); got != "lines/0=0 lines/1=0" {
		t.Errorf("offsets after the reset: %s", got)
	}
	if topicExists("wc-counts-changelog") || !topicExists("wc-counts-changelog-old") || !topicExists("lines") {
		t.Error("wrong topics deleted")
	}
	entries, err := os.ReadDir(filepath.Join(stateDir, "wc"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if err != nil || strings.Join(names, " ") != ".lock instance-id" {
		t.Errorf("local state after the reset: %v, %v; want only the lock and instance-id files", names, err)
	}
}

// The connection flags reach a broker that requires TLS and SASL, as
// "eddy broker" sets one up.
func TestResetSecure(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, _ := startBroker(t, "-port", "0", "-sasl-superuser", "admin:admin-secret", "-tls-self-signed", caFile, "-topic", "lines")
	args := []string{"reset", "-brokers", addr, "-application-id", "wc", "-input-topics", "lines", "-dry-run", "-timeout", "10s",
		"-tls-ca", caFile, "-sasl-mechanism", "scram-sha-256"}
	code, stdout, stderr := runEddy(t, append(args, "-sasl-user", "admin:admin-secret")...)
	if code != 0 || !strings.Contains(stdout, "lines/0: none -> 0") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = runEddy(t, append(args, "-sasl-user", "admin:wrong")...)
	if code != 1 || !strings.Contains(stderr, kerr.SaslAuthenticationFailed.Message) {
		t.Errorf("wrong password: exit %d, stderr:\n%s", code, stderr)
	}
}

// Brokers that cannot be reached end the reset with an error naming them:
// a refused connection at once, a silent one at -timeout, with what to
// check.
func TestResetUnreachable(t *testing.T) {
	code, _, stderr := runEddy(t, "reset", "-brokers", "127.0.0.1:1", "-application-id", "wc")
	if code != 1 || !strings.Contains(stderr, "dial tcp 127.0.0.1:1: connect: connection refused") {
		t.Errorf("refused: exit %d, stderr:\n%s", code, stderr)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn // accepted and never answered
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	addr := ln.Addr().String()
	code, _, stderr = runEddy(t, "reset", "-brokers", addr, "-application-id", "wc", "-timeout", "300ms")
	if code != 1 || !strings.Contains(stderr, "no answer from the brokers at "+addr+" within -timeout 300ms: check -brokers and the connection flags") {
		t.Errorf("silent: exit %d, stderr:\n%s", code, stderr)
	}
}
