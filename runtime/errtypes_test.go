// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
)

// The exported error types are found with errors.As through any wrapping:
// fmt.Errorf's %w, errors.Join (several workers failing), and the
// exportError backstop App.Run applies.
func TestExportedErrorsAs(t *testing.T) {
	cfg := Config{AppID: "wc", InstanceID: "i1", GroupInstanceID: "pod-0", Guarantee: ExactlyOnce}
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).To("out", nil, nil)
	stopo, err := b.Build()
	require.NoError(t, err)
	topo, _ := topology.Of(stopo)
	a := &App{cfg: cfg, topo: topo}
	src := topo.Subtopologies()[0].Nodes[0].Name // the source
	bad := errors.New("deserialize value: short")
	engineRec := &engine.RecordError{Task: engine.TaskID{Subtopology: 0, Partition: 3}, Node: src,
		Topic: "in", Partition: 3, Offset: 42, Key: []byte("k"), Err: bad}
	wrap := func(err error) error { return fmt.Errorf("worker 0: %w", fmt.Errorf("cycle: %w", err)) }

	for _, tc := range []struct {
		name  string
		err   error // as Run returns it
		check func(t *testing.T, err error)
	}{
		{"record error from the engine", a.exportError(0, wrap(engineRec)), func(t *testing.T, err error) {
			var re *RecordError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, &RecordError{Task: "0_3", Node: src, Topic: "in", Partition: 3, Offset: 42,
				Key: []byte("k"), Kind: Deserialization, Err: bad}, re)
			assert.ErrorIs(t, err, bad)
			assert.Equal(t, engineRec.Error(), re.Error(), "same message as the engine's")
			assert.Contains(t, err.Error(), wrap(engineRec).Error()+` (error policy Fail, the default: set Config.OnError to runtime.Skip `+
				`to log, count and drop such records, or to runtime.DeadLetter to copy them to a dead-letter topic, Config.DeadLetterTopic, default "wc-dlq", and go on)`,
				"the engine's message, then how to get past such records")
		}},
		{"record error under another policy (a dead letter that could not be written)", (&App{cfg: Config{AppID: "wc", OnError: DeadLetter}}).exportError(0, wrap(engineRec)), func(t *testing.T, err error) {
			var re *RecordError
			require.ErrorAs(t, err, &re)
			assert.True(t, strings.HasSuffix(err.Error(), wrap(engineRec).Error()), "no hint about policies: %v", err)
		}},
		{"record error on a failed write", a.exportError(0, wrap(&engine.RecordError{Task: engine.TaskID{}, Topic: "in",
			Err: engine.Fatal(errors.New("produce: MESSAGE_TOO_LARGE"))})), func(t *testing.T, err error) {
			var re *RecordError
			require.ErrorAs(t, err, &re)
			assert.True(t, re.Fatal)
			assert.Equal(t, "0_0", re.Task)
			assert.NotContains(t, err.Error(), "error policy", "the policy does not apply to a failed write")
		}},
		{"record error in a join of workers", errors.Join(errors.New("worker 1: something else"),
			a.exportError(0, wrap(engineRec))), func(t *testing.T, err error) {
			var re *RecordError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, int64(42), re.Offset)
		}},
		{"fenced producer", wrap(fmt.Errorf("producer fenced 3ms after its transaction began: %w",
			cfg.fencedProducer(2, fmt.Errorf("end transaction: %w", kerr.ProducerFenced)))), func(t *testing.T, err error) {
			var fe *FencedError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "wc-i1-2", fe.TransactionalID)
			assert.Equal(t, "i1", fe.InstanceID)
			assert.Empty(t, fe.GroupInstanceID)
			assert.ErrorIs(t, err, kerr.ProducerFenced)
			assert.Contains(t, err.Error(), `another live instance uses transactional id "wc-i1-2"`)
			assert.Contains(t, err.Error(), "give every instance its own Config.InstanceID")
		}},
		{"fenced static member, from the poll", wrap(cfg.pollError(1, "", 0, &kgo.ErrGroupSession{Err: kerr.FencedInstanceID})), func(t *testing.T, err error) {
			var fe *FencedError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "pod-0-1", fe.GroupInstanceID)
			assert.Empty(t, fe.TransactionalID)
			assert.ErrorIs(t, err, kerr.FencedInstanceID)
			assert.Contains(t, err.Error(), `another live group member uses group instance id "pod-0-1"`)
		}},
		{"fenced static member, backstop", a.exportError(1, wrap(fmt.Errorf("commit offsets: %w", kerr.FencedInstanceID))), func(t *testing.T, err error) {
			var fe *FencedError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "pod-0-1", fe.GroupInstanceID)
		}},
		{"topic denied, from the poll", wrap(cfg.pollError(0, "lines", 2, kerr.TopicAuthorizationFailed)), func(t *testing.T, err error) {
			var ae *AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, ResourceTopic, ae.ResourceType)
			assert.Equal(t, "lines", ae.Resource)
			assert.False(t, ae.Authentication())
			assert.ErrorIs(t, err, kerr.TopicAuthorizationFailed)
			assert.Contains(t, err.Error(), `fetch topic "lines" partition 2: runtime: not authorized on topic "lines": grant`)
		}},
		{"group denied, from the poll", wrap(cfg.pollError(0, "", 0, &kgo.ErrGroupSession{Err: kerr.GroupAuthorizationFailed})), func(t *testing.T, err error) {
			var ae *AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, ResourceGroup, ae.ResourceType)
			assert.Equal(t, "wc", ae.Resource)
			assert.Contains(t, err.Error(), "READ and DESCRIBE on the group")
		}},
		{"transactional id denied, at a call site", wrap(fmt.Errorf("begin transaction: %w",
			denied(kerr.TransactionalIDAuthorizationFailed, cfg.resources(3, "")))), func(t *testing.T, err error) {
			var ae *AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, ResourceTransactionalID, ae.ResourceType)
			assert.Equal(t, "wc-i1-3", ae.Resource)
		}},
		{"topic denied, backstop", a.exportError(-1, fmt.Errorf("create internal topic %q: %w", "wc-counts-changelog", kerr.TopicAuthorizationFailed)), func(t *testing.T, err error) {
			var ae *AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, ResourceTopic, ae.ResourceType)
			assert.Empty(t, ae.Resource, "not known here; the message names it")
			assert.Contains(t, err.Error(), "wc-counts-changelog")
		}},
		{"authentication failed, backstop", a.exportError(-1, fmt.Errorf("list topics: %w",
			fmt.Errorf("invalid credentials: %w", kerr.SaslAuthenticationFailed))), func(t *testing.T, err error) {
			var ae *AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.True(t, ae.Authentication())
			assert.Contains(t, ae.Error(), "check the credentials")
			assert.Contains(t, err.Error(), "invalid credentials", "the broker's message is kept")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			tc.check(t, tc.err)
			// And through one more layer, as a caller may add.
			tc.check(t, fmt.Errorf("run app: %w", tc.err))
		})
	}
}

// exportError adds nothing when there is nothing to export or the exported
// type is already in the chain, and keeps nil nil.
func TestExportErrorIdempotent(t *testing.T) {
	a := &App{cfg: Config{AppID: "wc", InstanceID: "i1"}}
	assert.NoError(t, a.exportError(0, nil))
	plain := errors.New("boom")
	assert.Same(t, plain, a.exportError(0, plain))
	once := a.exportError(0, &engine.RecordError{Topic: "in", Err: plain})
	assert.Same(t, once, a.exportError(-1, once))
	named := fmt.Errorf("fetch: %w", denied(kerr.TopicAuthorizationFailed, resourceNames{topic: "in"}))
	assert.Same(t, named, a.exportError(0, named), "the call site's named resource is kept")
}

// pollError leaves errors the client retries to the worker's log.
func TestPollErrorRetriable(t *testing.T) {
	cfg := Config{AppID: "wc"}
	for _, err := range []error{kerr.NotLeaderForPartition, &kgo.ErrGroupSession{Err: kerr.CoordinatorNotAvailable},
		errors.New("dial tcp: connection refused"), kerr.UnknownMemberID} {
		assert.NoError(t, cfg.pollError(0, "lines", 0, err), "%v", err)
	}
}

// A session timeout the brokers refuse stops the worker with an error that
// says which setting to change, instead of a warning per join attempt
// (the group never accepts the member, so nothing is processed).
func TestPollErrorSessionTimeout(t *testing.T) {
	cfg := Config{AppID: "wc"}
	err := cfg.pollError(0, "", 0, &kgo.ErrGroupSession{Err: kerr.InvalidSessionTimeout})
	require.Error(t, err)
	assert.ErrorIs(t, err, kerr.InvalidSessionTimeout)
	assert.Contains(t, err.Error(), `consumer group "wc"`)
	assert.Contains(t, err.Error(), "kgo.SessionTimeout")
	assert.Contains(t, err.Error(), "group.min.session.timeout.ms")
}
