package stream_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

func wordCountNamed(b *stream.Builder, group []stream.Option, store []table.Option) {
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String(), group...).
		Count(store...).
		ToStream().
		To("counts", serde.String(), serde.Int64())
}

// RequireExplicitNames rejects every store and repartition topic the
// topology leaves to generated names, saying how to name it.
func TestRequireExplicitNames(t *testing.T) {
	b := stream.NewBuilder(stream.RequireExplicitNames())
	wordCountNamed(b, nil, nil)
	_, err := b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `state store (and its changelog topic) would get the generated name "KSTREAM-AGGREGATE-STATE-STORE-`)
	assert.Contains(t, err.Error(), "table.As")
	assert.Contains(t, err.Error(), "repartition topic would get the generated name")
	assert.Contains(t, err.Error(), "stream.As")

	// A named store names the repartition topic that feeds it.
	b = stream.NewBuilder(stream.RequireExplicitNames())
	wordCountNamed(b, nil, []table.Option{table.As("word-counts")})
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Contains(t, topo.Describe(), "word-counts-repartition")

	// A named grouping with an unnamed store: the store is still reported.
	b = stream.NewBuilder(stream.RequireExplicitNames())
	wordCountNamed(b, []stream.Option{stream.As("words")}, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "state store")
	assert.NotContains(t, err.Error(), "repartition topic would")

	// Without the option, generated names are fine.
	b = stream.NewBuilder()
	wordCountNamed(b, nil, nil)
	_, err = b.Build()
	require.NoError(t, err)
}
