// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
)

// The errors Run returns are found with errors.As as the exported types,
// through the caller's own wrapping: a bad record as a *RecordError with its
// position, a refused ACL or a wrong password as an *AuthorizationError.
func TestRunErrorsAs(t *testing.T) {
	t.Run("bad record", func(t *testing.T) {
		c := newCluster(t, map[string]int32{"amounts": 1, "sums-out": 1})
		c.produceRaw(t, &kgo.Record{Topic: "amounts", Partition: 0, Key: []byte("a"), Value: i64(5)},
			&kgo.Record{Topic: "amounts", Partition: 0, Key: []byte("a"), Value: []byte("oops")})
		app, err := runtime.New(sumTopology(t), runtime.Config{AppID: "sum", Brokers: c.addrs, StateDir: t.TempDir(),
			CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		err = fmt.Errorf("my app: %w", app.Run(ctx))
		require.NoError(t, app.Close(context.Background()))
		var re *runtime.RecordError
		require.True(t, errors.As(err, &re), "Run returned %v", err)
		assert.Equal(t, "0_0", re.Task)
		assert.Equal(t, "amounts", re.Topic)
		assert.Equal(t, int32(0), re.Partition)
		assert.Equal(t, int64(1), re.Offset)
		assert.Equal(t, []byte("a"), re.Key)
		assert.False(t, re.Fatal)
		assert.ErrorContains(t, re.Err, "deserialize value")
	})

	user := securityCases[1].user
	for _, tc := range []struct {
		name     string
		skip     string // the grant left out
		rt       runtime.ResourceType
		resource string // "" where the failing call does not say
	}{
		{name: "group", skip: "group", rt: runtime.ResourceGroup, resource: secureApp},
		{name: "transactional ids", skip: "transactional ids", rt: runtime.ResourceTransactionalID, resource: secureApp + "-i1-0"},
		{name: "sink topic", skip: "sink topic", rt: runtime.ResourceTopic},
	} {
		t.Run("denied "+tc.name, func(t *testing.T) {
			s := startSecureBroker(t, false, user)
			s.grant(t, user.Principal(), leastPrivilege(secureApp, "lines", "counts-out"), tc.skip)
			s.produceLines(t, map[string]int64{}, 0, 10)
			err := runToError(t, runtime.Config{AppID: secureApp, Brokers: s.b.Addrs(), StateDir: t.TempDir(), InstanceID: "i1",
				Guarantee: runtime.ExactlyOnce, CommitInterval: 50 * time.Millisecond, Logger: quiet(t),
				ClientOptions: s.opts(user)}, 30*time.Second)
			var ae *runtime.AuthorizationError
			require.True(t, errors.As(fmt.Errorf("my app: %w", err), &ae), "Run returned %v", err)
			assert.Equal(t, tc.rt, ae.ResourceType)
			if tc.resource != "" {
				assert.Equal(t, tc.resource, ae.Resource)
			}
			assert.False(t, ae.Authentication())
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		s := startSecureBroker(t, false, user)
		wrong := user
		wrong.Password += "-typo"
		err := runToError(t, runtime.Config{AppID: secureApp, Brokers: s.b.Addrs(), StateDir: t.TempDir(),
			Logger: quiet(t), ClientOptions: s.opts(wrong)}, 30*time.Second)
		var ae *runtime.AuthorizationError
		require.True(t, errors.As(err, &ae), "Run returned %v", err)
		assert.True(t, ae.Authentication())
		assert.Contains(t, ae.Error(), "check the credentials")
	})
}
