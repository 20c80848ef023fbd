// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
)

// Validate names the field and its bad value, and says what to do.
func TestConfigValidate(t *testing.T) {
	valid := func() runtime.Config { return runtime.Config{AppID: "wc", Brokers: []string{"k:9092"}} }
	for _, tc := range []struct {
		name  string
		edit  func(*runtime.Config)
		field string
		msg   []string // substrings of the error
	}{
		{"no app id", func(c *runtime.Config) { c.AppID = "" }, "AppID", []string{`Config.AppID = "": required`}},
		{"app id with a space", func(c *runtime.Config) { c.AppID = "word count" }, "AppID", []string{`"word count"`, `character ' ' at byte 4`}},
		{"app id with a slash", func(c *runtime.Config) { c.AppID = "a/b" }, "AppID", []string{`'/'`}},
		{"app id non-ASCII", func(c *runtime.Config) { c.AppID = "zählen" }, "AppID", []string{`'ä' at byte 1`}},
		{"app id dot", func(c *runtime.Config) { c.AppID = ".." }, "AppID", []string{`".." are not allowed`}},
		{"app id too long", func(c *runtime.Config) { c.AppID = strings.Repeat("a", 236) }, "AppID", []string{"236 characters, more than the 235 allowed"}},
		{"no brokers", func(c *runtime.Config) { c.Brokers = nil }, "Brokers",
			[]string{"Config.Brokers = []: empty", "set the bootstrap servers", "set Config.EmbeddedBroker"}},
		{"brokers and the embedded broker", func(c *runtime.Config) { c.EmbeddedBroker = true }, "EmbeddedBroker",
			[]string{"Config.EmbeddedBroker = true", "set together with Brokers [k:9092]"}},
		{"empty broker address", func(c *runtime.Config) { c.Brokers = []string{"k:9092", " "} }, "Brokers[1]",
			[]string{`Config.Brokers[1] = " "`, "give host:port"}},
		{"instance id with a newline", func(c *runtime.Config) { c.InstanceID = "i\n1" }, "InstanceID", []string{`"i\n1"`, "no spaces or control characters"}},
		{"group instance id charset", func(c *runtime.Config) { c.GroupInstanceID = "pod:0" }, "GroupInstanceID", []string{`"pod:0"`, `':'`}},
		{"group instance id too long with the worker suffix", func(c *runtime.Config) {
			c.GroupInstanceID, c.Workers = strings.Repeat("g", 247), 11
		}, "GroupInstanceID", []string{"247 characters, more than the 246 allowed", "<GroupInstanceID>-<worker>"}},
		{"negative workers", func(c *runtime.Config) { c.Workers = -1 }, "Workers", []string{"Config.Workers = -1", "default (1)"}},
		{"unknown guarantee", func(c *runtime.Config) { c.Guarantee = 7 }, "Guarantee", []string{"Config.Guarantee = 7", "runtime.ExactlyOnce"}},
		{"negative commit interval", func(c *runtime.Config) { c.CommitInterval = -time.Second }, "CommitInterval", []string{"Config.CommitInterval = -1s"}},
		{"negative repartition purge interval", func(c *runtime.Config) { c.RepartitionPurgeInterval = -time.Second }, "RepartitionPurgeInterval", []string{"Config.RepartitionPurgeInterval = -1s"}},
		{"negative standbys", func(c *runtime.Config) { c.StandbyReplicas = -2 }, "StandbyReplicas", []string{"= -2"}},
		{"unknown error policy", func(c *runtime.Config) { c.OnError = 3 }, "OnError", []string{"Config.OnError = 3", "runtime.DeadLetter"}},
		{"dead letter topic without the policy", func(c *runtime.Config) { c.DeadLetterTopic = "dlq" }, "DeadLetterTopic",
			[]string{`Config.DeadLetterTopic = "dlq"`, "OnError is Fail", "set OnError to runtime.DeadLetter"}},
		{"invalid dead letter topic", func(c *runtime.Config) { c.OnError, c.DeadLetterTopic = runtime.DeadLetter, "dead letters" }, "DeadLetterTopic",
			[]string{"valid topic name"}},
		{"nil client option", func(c *runtime.Config) { c.ClientOptions = []kgo.Opt{kgo.ClientID("x"), nil} }, "ClientOptions[1]", []string{"nil option"}},
		{"negative max poll records", func(c *runtime.Config) { c.MaxPollRecords = -1 }, "MaxPollRecords", []string{"default (1000)"}},
		{"negative buffered records", func(c *runtime.Config) { c.BufferedRecordsPerPartition = -1 }, "BufferedRecordsPerPartition", []string{"default (1000)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.edit(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			var ce *runtime.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			for _, m := range tc.msg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestConfigValidateAccepts(t *testing.T) {
	for name, cfg := range map[string]runtime.Config{
		"minimal":         {AppID: "wc", Brokers: []string{"k:9092"}},
		"embedded broker": {AppID: "wc", EmbeddedBroker: true},
		"everything": {AppID: "Word_count.v2-1", Brokers: []string{"k:9092"}, StateDir: "rel/dir", InstanceID: "host:pod-0",
			GroupInstanceID: "wc-pod-0", Workers: 4, Guarantee: runtime.ExactlyOnce, CommitInterval: time.Second,
			StandbyReplicas: 2, OnError: runtime.DeadLetter, DeadLetterTopic: "wc.dead-letters",
			ClientOptions: []kgo.Opt{kgo.ClientID("wc")}, MaxPollRecords: 10, MaxTaskIdle: time.Second,
			BufferedRecordsPerPartition: 5},
		"never wait":                {AppID: "wc", Brokers: []string{"k:9092"}, MaxTaskIdle: runtime.NoTaskIdle},
		"any negative idle":         {AppID: "wc", Brokers: []string{"k:9092"}, MaxTaskIdle: -time.Millisecond},
		"longest app id":            {AppID: strings.Repeat("a", 235), Brokers: []string{"k:9092"}},
		"dead letter policy":        {AppID: "wc", Brokers: []string{"k:9092"}, OnError: runtime.DeadLetter},
		"longest group instance id": {AppID: "wc", Brokers: []string{"k:9092"}, GroupInstanceID: strings.Repeat("g", 246), Workers: 11},
	} {
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, cfg.Validate())
		})
	}
}

// Every invalid field is reported at once.
func TestConfigValidateReportsAll(t *testing.T) {
	err := runtime.Config{AppID: "a b", Workers: -1, OnError: 9}.Validate()
	require.Error(t, err)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *runtime.ConfigError
		require.ErrorAs(t, e, &ce)
		fields = append(fields, ce.Field)
	}
	assert.Equal(t, []string{"AppID", "Brokers", "Workers", "OnError"}, fields)
}

// New validates before any I/O: an invalid configuration creates no state
// directory.
func TestNewValidatesFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	_, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: []string{"127.0.0.1:1"}, StateDir: dir, Workers: -3})
	var ce *runtime.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Workers", ce.Field)
	_, statErr := os.Stat(dir)
	assert.True(t, errors.Is(statErr, os.ErrNotExist), "New created %s: %v", dir, statErr)
}

// A configuration without brokers is refused, not run on an in-memory
// broker; the embedded broker is used only when asked for by name, and
// New warns about it.
func TestEmbeddedBrokerOnlyWhenAsked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	_, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", StateDir: dir})
	var ce *runtime.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Brokers", ce.Field)
	assert.ErrorContains(t, err, "Config.EmbeddedBroker")
	_, statErr := os.Stat(dir)
	assert.True(t, errors.Is(statErr, os.ErrNotExist), "New created %s: %v", dir, statErr)

	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", EmbeddedBroker: true, StateDir: dir, Logger: log})
	require.NoError(t, err)
	defer app.Close(t.Context())
	require.NotEmpty(t, app.Brokers(), "the embedded broker's address")
	mu.Lock()
	warned := logs.String()
	mu.Unlock()
	assert.Contains(t, warned, "level=WARN")
	assert.Contains(t, warned, "embedded in-process broker")
	assert.Contains(t, warned, "lost when the application closes")

	// The address works for other clients, as the examples use it.
	cl, err := kgo.NewClient(kgo.SeedBrokers(app.Brokers()...))
	require.NoError(t, err)
	defer cl.Close()
	_, err = kadm.NewClient(cl).CreateTopic(t.Context(), 1, 1, nil, "lines")
	require.NoError(t, err)
}

// The instance-id file is read and written only under the state
// directory's lock: an instance that cannot take the lock leaves the file
// alone, so the instance holding the lock keeps running with the id the
// file holds.
func TestInstanceIDOnlyUnderLock(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t)}
	idFile := filepath.Join(cfg.StateDir, cfg.AppID, "instance-id")

	first, err := runtime.New(wordCount(t), cfg)
	require.NoError(t, err)
	b, err := os.ReadFile(idFile)
	require.NoError(t, err)
	assert.Equal(t, first.InstanceID(), strings.TrimSpace(string(b)))

	// Without the file, a second instance on the same directory must not
	// write one before finding the directory locked.
	require.NoError(t, os.Remove(idFile))
	_, err = runtime.New(wordCount(t), cfg)
	require.ErrorContains(t, err, "is in use by another process")
	_, statErr := os.Stat(idFile)
	assert.True(t, errors.Is(statErr, os.ErrNotExist), "a locked-out instance wrote the instance-id file: %v", statErr)
	require.NoError(t, first.Close(t.Context()))

	// The next instance to hold the lock writes a new one, and keeps it.
	again, err := runtime.New(wordCount(t), cfg)
	require.NoError(t, err)
	b, err = os.ReadFile(idFile)
	require.NoError(t, err)
	assert.Equal(t, again.InstanceID(), strings.TrimSpace(string(b)))
	require.NoError(t, again.Close(t.Context()))
}
