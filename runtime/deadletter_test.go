// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
)

func dlHeaders(kv ...string) []kgo.RecordHeader {
	var hs []kgo.RecordHeader
	for i := 0; i < len(kv); i += 2 {
		hs = append(hs, kgo.RecordHeader{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return hs
}

// errorHeaders are the headers of a dead letter, without truncation.
func errorHeaders(partition, offset string) []string {
	return []string{
		runtime.HeaderErrorMessage, "boom",
		runtime.HeaderErrorTopic, "in",
		runtime.HeaderErrorPartition, partition,
		runtime.HeaderErrorOffset, offset,
		runtime.HeaderErrorTask, "0_2",
		runtime.HeaderErrorNode, "KSTREAM-SOURCE-0000000000",
	}
}

func TestParseDeadLetter(t *testing.T) {
	want := runtime.DeadLetterHeaders{Message: "boom", Topic: "in", Partition: 2, Offset: 41, Task: "0_2", Node: "KSTREAM-SOURCE-0000000000"}
	d, err := runtime.ParseDeadLetter(dlHeaders(append([]string{"trace", "t1"}, errorHeaders("2", "41")...)...))
	require.NoError(t, err)
	assert.Equal(t, want, d)

	// A record dead-lettered twice: the last error headers count.
	older := append(errorHeaders("0", "7"), runtime.HeaderErrorTruncated, "cut value 1 of 2 bytes")
	d, err = runtime.ParseDeadLetter(dlHeaders(append(older, errorHeaders("2", "41")...)...))
	require.NoError(t, err)
	assert.Equal(t, want, d)

	// The kind of error, since the header exists (a dead letter without
	// it, above, has Kind 0).
	for _, k := range []runtime.ErrorKind{runtime.Deserialization, runtime.Processing, runtime.Production} {
		d, err = runtime.ParseDeadLetter(dlHeaders(append(errorHeaders("2", "41"), runtime.HeaderErrorKind, k.String())...))
		require.NoError(t, err)
		withKind := want
		withKind.Kind = k
		assert.Equal(t, withKind, d)
	}

	want.Truncated = "cut value 10 of 20 bytes"
	d, err = runtime.ParseDeadLetter(dlHeaders(append(errorHeaders("2", "41"), runtime.HeaderErrorTruncated, want.Truncated, "later", "x")...))
	require.NoError(t, err)
	assert.Equal(t, want, d)

	for _, tc := range []struct {
		name    string
		headers []kgo.RecordHeader
		err     string
	}{
		{"no headers", nil, "not a dead letter: no eddy.error.message header"},
		{"not a dead letter", dlHeaders("trace", "t1"), "not a dead letter: no eddy.error.message header"},
		{"missing", dlHeaders(runtime.HeaderErrorMessage, "boom", runtime.HeaderErrorTopic, "in", runtime.HeaderErrorTask, "0_0"),
			"missing eddy.error.partition, eddy.error.offset, eddy.error.node after eddy.error.message"},
		{"origin before the message", dlHeaders(append(errorHeaders("1", "2")[2:], errorHeaders("1", "2")[:2]...)...),
			"missing eddy.error.topic"},
		{"non-numeric partition", dlHeaders(errorHeaders("two", "41")...), `header eddy.error.partition is "two", not a partition number`},
		{"partition out of range", dlHeaders(errorHeaders("2147483648", "41")...), "eddy.error.partition"},
		{"empty offset", dlHeaders(errorHeaders("2", "")...), `header eddy.error.offset is "", not an offset`},
		{"long offset", dlHeaders(errorHeaders("2", "99999999999999999999999999999999999999999999999999")...),
			`header eddy.error.offset is "9999999999999999999999999999999999999999"..., not an offset`},
		{"repeated", dlHeaders(append(errorHeaders("2", "41"), runtime.HeaderErrorTopic, "again")...), "header eddy.error.topic repeated"},
		{"unknown kind", dlHeaders(append(errorHeaders("2", "41"), runtime.HeaderErrorKind, "Fatal")...),
			`header eddy.error.kind is "Fatal", not Deserialization, Processing or Production`},
		{"kind repeated", dlHeaders(append(errorHeaders("2", "41"), runtime.HeaderErrorKind, "Processing", runtime.HeaderErrorKind, "Production")...),
			"header eddy.error.kind repeated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := runtime.ParseDeadLetter(tc.headers)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
			assert.Zero(t, d)
		})
	}
}
