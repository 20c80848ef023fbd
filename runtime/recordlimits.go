// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
)

// Bad output: records too large for their topic, sinks to missing topics.

// HeaderErrorTruncated marks a dead-lettered record whose key, value or
// headers were cut to fit the dead-letter topic's max.message.bytes; it
// says what was cut. The original record is still at the topic, partition
// and offset the other headers name, until the input topic's retention
// deletes it.
const HeaderErrorTruncated = "eddy.error.truncated"

// MaxRecordBytes implements engine.RecordLimiter: every record up to the
// smaller of the topic's max.message.bytes and the producer's batch limit
// (kgo.ProducerBatchMaxBytes, default 1,000,012 bytes) fits.
func (c *collector) MaxRecordBytes(topic string) (int, error) {
	limit := producerBatchLimit(c.producer(), topic)
	if m := c.parts.maxMessageBytes(c.ctx, topic); m > 0 && (limit == 0 || m < limit) {
		limit = m
	}
	return limit, nil
}

// CheckRecordSize implements engine.RecordLimiter for a record larger than
// MaxRecordBytes. The producer refuses records over its batch limit
// uncompressed (as Java's max.request.size); the broker compares the
// compressed batch with max.message.bytes, so a record over that is
// compressed with the producer's codec to see whether it fits.
func (c *collector) CheckRecordSize(topic string, key, value []byte, headers []engine.Header) error {
	p := c.producer()
	size := engine.EncodedSize(key, value, headers)
	if limit := producerBatchLimit(p, topic); limit > 0 && size > limit {
		return &engine.RecordTooLargeError{Topic: topic, Size: size, Max: limit}
	}
	m := c.parts.maxMessageBytes(c.ctx, topic)
	if m <= 0 || size <= m {
		return nil
	}
	if compressed := compressedSize(p, key, value, headers); compressed > 0 && compressed <= m {
		return nil
	}
	return &engine.RecordTooLargeError{Topic: topic, Size: size, Max: m}
}

func (c *collector) producer() producer { return c.cur.Load().p }

// producerClient returns the client behind p, or nil.
func producerClient(p producer) *kgo.Client {
	switch p := p.(type) {
	case *kgo.Client:
		return p
	case *kgo.GroupTransactSession:
		return p.Client()
	}
	return nil
}

// compressedSize estimates the size of a batch holding only the record,
// compressed as the producer would: 0 if the producer does not compress.
func compressedSize(p producer, key, value []byte, headers []engine.Header) int {
	cl := producerClient(p)
	if cl == nil {
		return 0
	}
	comp, _ := cl.OptValue(kgo.WithCompressor).(kgo.Compressor)
	if comp == nil {
		codecs, _ := cl.OptValue(kgo.ProducerBatchCompression).([]kgo.CompressionCodec)
		var err error
		if comp, err = kgo.DefaultCompressor(codecs...); err != nil || comp == nil {
			return 0
		}
	}
	payload := make([]byte, 0, len(key)+len(value))
	payload = append(append(payload, key...), value...)
	for _, h := range headers {
		payload = append(append(payload, h.Key...), h.Value...)
	}
	out, codec := comp.Compress(new(bytes.Buffer), payload)
	if codec == kgo.CodecNone {
		return 0
	}
	// Lengths, varints and the batch header stay as they are.
	return engine.EncodedSize(key, value, headers) - len(payload) + len(out)
}

// producerBatchLimit returns the producer's batch limit for topic, 0 if
// unknown.
func producerBatchLimit(p producer, topic string) int {
	cl := producerClient(p)
	if cl == nil {
		return 0
	}
	if fn, ok := cl.OptValue(kgo.ProducerBatchMaxBytesFn).(func(string) int32); ok && fn != nil {
		return int(fn(topic))
	}
	return 0
}

// maxMessageBytes returns topic's max.message.bytes, looked up once; 0 if
// it cannot be described (no DescribeConfigs permission, say): then only
// the producer's limit is checked before sending.
func (c *partitionCache) maxMessageBytes(ctx context.Context, topic string) int {
	c.mu.Lock()
	m, ok := c.limits[topic]
	c.mu.Unlock()
	if ok {
		return m
	}
	rcs, err := c.adm.DescribeTopicConfigs(ctx, topic)
	if err == nil {
		rc, rerr := rcs.On(topic, nil)
		err = rerr
		if err == nil {
			err = rc.Err
		}
		for _, cfg := range rc.Configs {
			if cfg.Key == "max.message.bytes" && cfg.Value != nil {
				m, _ = strconv.Atoi(*cfg.Value)
			}
		}
	}
	if err != nil && ctx.Err() != nil {
		return 0 // shutting down: ask again next time
	}
	c.mu.Lock()
	if c.limits == nil {
		c.limits = map[string]int{}
	}
	c.limits[topic] = m
	c.mu.Unlock()
	return m
}

// fitDeadLetter cuts dl (the value first, then the key, then the original
// headers) until it fits the dead-letter topic, and says so in a
// HeaderErrorTruncated header. It reports false if even the error headers
// alone do not fit.
func fitDeadLetter(coll engine.Collector, dl *engine.RawRecord, log *slog.Logger) bool {
	lim, ok := coll.(engine.RecordLimiter)
	if !ok {
		return true
	}
	limit, err := lim.MaxRecordBytes(dl.Topic)
	if err != nil || limit <= 0 {
		return true
	}
	size := engine.EncodedSize(dl.Key, dl.Value, dl.Headers)
	if size <= limit || lim.CheckRecordSize(dl.Topic, dl.Key, dl.Value, dl.Headers) == nil {
		return true
	}
	var cut []string
	// The marker header's own size, with room for its text.
	const markerRoom = 8 + len(HeaderErrorTruncated) + 128
	over := size + markerRoom - limit
	if over > 0 && len(dl.Value) > 0 {
		n := min(over, len(dl.Value))
		cut = append(cut, fmt.Sprintf("value %d of %d bytes", n, len(dl.Value)))
		dl.Value = dl.Value[:len(dl.Value)-n]
		over -= n
	}
	if over > 0 && len(dl.Key) > 0 {
		n := min(over, len(dl.Key))
		cut = append(cut, fmt.Sprintf("key %d of %d bytes", n, len(dl.Key)))
		dl.Key = dl.Key[:len(dl.Key)-n]
		over -= n
	}
	if over > 0 {
		// Drop the record's own headers, keep the error headers.
		var kept []engine.Header
		dropped := 0
		for _, h := range dl.Headers {
			if strings.HasPrefix(h.Key, "eddy.error.") {
				kept = append(kept, h)
			} else {
				dropped++
			}
		}
		if dropped > 0 {
			cut = append(cut, fmt.Sprintf("%d headers", dropped))
			dl.Headers = kept
		}
	}
	dl.Headers = append(slices.Clip(dl.Headers), engine.Header{Key: HeaderErrorTruncated, Value: []byte("cut " + strings.Join(cut, ", "))})
	if size := engine.EncodedSize(dl.Key, dl.Value, dl.Headers); size > limit {
		log.Error("dead-letter record does not fit the dead-letter topic even without key and value; stopping",
			"dead_letter_topic", dl.Topic, "limit", limit, "size", size)
		return false
	}
	log.Warn("dead-letter record truncated to fit the dead-letter topic", "dead_letter_topic", dl.Topic, "limit", limit, "cut", cut)
	return true
}

// checkSinkTopics reports output topics that do not exist, at start-up
// rather than at the first record sent to them.
func checkSinkTopics(ctx context.Context, adm *kadm.Client, topo *topology.Topology, app string) error {
	sinks := map[string]string{} // topic → a sink node writing it
	for _, st := range topo.Subtopologies() {
		for _, n := range st.Nodes {
			if n.Kind != topology.Sink || n.Internal != nil || n.DynamicTopic {
				continue
			}
			for _, t := range n.Topics {
				sinks[t] = n.Name
			}
		}
	}
	if len(sinks) == 0 {
		return nil
	}
	details, err := listTopics(ctx, adm, slices.Sorted(func(yield func(string) bool) {
		for t := range sinks {
			if !yield(t) {
				return
			}
		}
	}))
	if err != nil {
		return err
	}
	var missing []string
	var errs []error
	for t, node := range sinks {
		d, ok := details[t]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			missing = append(missing, fmt.Sprintf("output topic %q (sink %s) does not exist", t, node))
		case d.Err != nil:
			errs = append(errs, fmt.Errorf("output topic %q (sink %s): %w", t, node, d.Err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return fmt.Errorf("%s: create it before starting application %q, e.g. with runtime.CreateTopics (Eddy creates only its internal topics)",
		strings.Join(missing, "; "), app)
}
