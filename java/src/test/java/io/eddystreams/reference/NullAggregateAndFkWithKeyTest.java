package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Kafka Streams 4.4's behaviour that topologytest/aggregate_null_test.go and
 * topologytest/fkjoin_withkey_test.go expect of Eddy.
 */
class NullAggregateAndFkWithKeyTest {

    static List<String> read(TopologyTestDriver d, String topic) {
        List<String> got = new ArrayList<>();
        for (TestRecord<String, String> r : d.createOutputTopic(topic, Serdes.String().deserializer(),
                Serdes.String().deserializer()).readRecordsToList()) {
            got.add(r.key() + "=" + (r.value() == null ? "<tombstone>" : r.value()));
        }
        return got;
    }

    /** An aggregator returning null deletes the key: store, changelog and downstream tombstones. */
    @Test
    void nullAggregateDeletesKey() {
        StreamsBuilder b = new StreamsBuilder();
        b.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey()
                .aggregate(() -> "", (k, v, agg) -> v.equals("reset") ? null : agg + v,
                        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("lists")
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        try (TopologyTestDriver d = Drivers.driver(b.build(), "app")) {
            TestInputTopic<String, String> in = d.createInputTopic("in", Serdes.String().serializer(),
                    Serdes.String().serializer());
            in.pipeInput("k", "a", 1L);
            in.pipeInput("k", "b", 1L);
            in.pipeInput("k", "reset", 5L);
            in.pipeInput("k", "c", 1L);
            in.pipeInput("other", "reset", 9L);
            List<String> want = List.of("k=a", "k=ab", "k=<tombstone>", "k=c", "other=<tombstone>");
            assertEquals(want, read(d, "out"));
            assertEquals(want, read(d, "app-lists-changelog"));
            KeyValueStore<String, String> store = d.getKeyValueStore("lists");
            assertEquals("c", store.get("k"));
            assertNull(store.get("other"));
        }
    }

    /** A windowed aggregator returning null deletes the window's entry and forwards a tombstone. */
    @Test
    void nullWindowedAggregateDeletesWindow() {
        StreamsBuilder b = new StreamsBuilder();
        b.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(10), Duration.ofSeconds(1)))
                .aggregate(() -> "", (k, v, agg) -> v.equals("reset") ? null : agg + v,
                        Materialized.<String, String, WindowStore<Bytes, byte[]>>as("wins")
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .toStream()
                .map((k, v) -> KeyValue.pair(k.key() + "@" + k.window().start(), v))
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        try (TopologyTestDriver d = Drivers.driver(b.build(), "app")) {
            TestInputTopic<String, String> in = d.createInputTopic("in", Serdes.String().serializer(),
                    Serdes.String().serializer());
            in.pipeInput("k", "a", 1L);
            in.pipeInput("k", "b", 12L);
            in.pipeInput("k", "reset", 3L);
            in.pipeInput("k", "c", 4L);
            assertEquals(List.of("k@0=a", "k@10=b", "k@0=<tombstone>", "k@0=c"), read(d, "out"));
        }
    }

    /** A session aggregator returning null removes the merged session. */
    @Test
    void nullSessionAggregateRemovesSession() {
        StreamsBuilder b = new StreamsBuilder();
        b.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(10), Duration.ofSeconds(1)))
                .aggregate(() -> "", (k, v, agg) -> v.equals("reset") ? null : agg + v, (k, a1, a2) -> a1 + a2,
                        Materialized.<String, String, SessionStore<Bytes, byte[]>>as("sessions")
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .toStream()
                .map((k, v) -> KeyValue.pair(k.key() + "@" + k.window().start() + "-" + k.window().end(), v))
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        try (TopologyTestDriver d = Drivers.driver(b.build(), "app")) {
            TestInputTopic<String, String> in = d.createInputTopic("in", Serdes.String().serializer(),
                    Serdes.String().serializer());
            in.pipeInput("k", "a", 1L);
            in.pipeInput("k", "reset", 3L);
            in.pipeInput("k", "c", 5L);
            assertEquals(List.of("k@1-1=a", "k@1-1=<tombstone>", "k@1-3=<tombstone>", "k@5-5=c"), read(d, "out"));
        }
    }

    /**
     * A sliding-window aggregator returning null deletes that window's entry and forwards a
     * tombstone; the windows the deleted ones would have seeded are started again from the
     * initializer.
     */
    @Test
    void nullSlidingAggregateDeletesWindow() {
        StreamsBuilder b = new StreamsBuilder();
        b.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey()
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofSeconds(1)))
                .aggregate(() -> "", (k, v, agg) -> v.equals("reset") ? null : agg + v,
                        Materialized.<String, String, WindowStore<Bytes, byte[]>>as("slides")
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .toStream()
                .map((k, v) -> KeyValue.pair(k.key() + "@" + k.window().start() + "-" + k.window().end(), v))
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        try (TopologyTestDriver d = Drivers.driver(b.build(), "app")) {
            TestInputTopic<String, String> in = d.createInputTopic("in", Serdes.String().serializer(),
                    Serdes.String().serializer());
            in.pipeInput("k", "a", 20L);
            in.pipeInput("k", "b", 25L);
            in.pipeInput("k", "reset", 27L);
            in.pipeInput("k", "c", 30L);
            in.pipeInput("k", "d", 26L);
            in.pipeInput("k", "e", 45L);
            in.pipeInput("k", "reset", 3L);
            in.pipeInput("k", "f", 5L);
            assertEquals(List.of("k@10-20=a", "k@21-31=b", "k@15-25=ab", "k@21-31=<tombstone>", "k@26-36=<tombstone>",
                    "k@17-27=<tombstone>", "k@26-36=c", "k@20-30=abc", "k@26-36=cd", "k@20-30=abcd", "k@16-26=abd",
                    "k@27-37=c", "k@35-45=e", "k@0-10=<tombstone>", "k@0-10=f"), read(d, "out"));
            long tombstones = d.createOutputTopic("app-slides-changelog", new org.apache.kafka.common.serialization.BytesDeserializer(),
                    new org.apache.kafka.common.serialization.BytesDeserializer()).readValuesToList().stream()
                    .filter(v -> v == null).count();
            assertEquals(4, tombstones, "a changelog tombstone per null aggregate");
            List<String> store = new ArrayList<>();
            try (var it = d.<String, String>getWindowStore("slides").all()) {
                it.forEachRemaining(kv -> store.add(kv.key.key() + "@" + kv.key.window().start() + "=" + kv.value));
            }
            assertEquals(List.of("k@0=f", "k@10=a", "k@15=ab", "k@16=abd", "k@20=abcd", "k@26=cd", "k@27=c", "k@35=e"), store);
        }
    }

    /**
     * A table aggregation asked to subtract from a key it holds no aggregate for, and to add
     * nothing, puts null and forwards it: a tombstone downstream and in the changelog. Here the
     * unmaterialized transformValues of TransformValuesTopologies turns the absent old value of
     * keep1's first update into "gone#2", which groupBy subtracts from the word "gone".
     */
    @Test
    void subtractFromAbsentAggregateForwardsTombstone() {
        try (TopologyTestDriver d = Drivers.driver(TransformValuesTopologies.build(), "app")) {
            TestInputTopic<String, String> in = d.createInputTopic(TransformValuesTopologies.WORDS,
                    Serdes.String().serializer(), Serdes.String().serializer());
            in.pipeInput("keep1", "w", 1L);
            in.pipeInput("keep1", "v", 2L);
            List<String> got = new ArrayList<>();
            for (TestRecord<String, Long> r : d.createOutputTopic(TransformValuesTopologies.GROUPED,
                    Serdes.String().deserializer(), Serdes.Long().deserializer()).readRecordsToList()) {
                got.add(r.key() + "=" + (r.value() == null ? "<tombstone>" : r.value()) + "@" + r.timestamp());
            }
            assertEquals(List.of("gone=<tombstone>@1", "W=1@1", "W=0@2", "V=1@2"), got);
            List<String> changelog = new ArrayList<>();
            for (TestRecord<String, Long> r : d.createOutputTopic("app-KTABLE-AGGREGATE-STATE-STORE-0000000008-changelog",
                    Serdes.String().deserializer(), Serdes.Long().deserializer()).readRecordsToList()) {
                changelog.add(r.key() + "=" + (r.value() == null ? "<tombstone>" : r.value()));
            }
            assertEquals(List.of("gone=<tombstone>", "W=1", "W=0", "V=1"), changelog);
        }
    }

    /** KIP-1104: the foreign key taken from the left row's key ("<customer>/<order>"). */
    @Test
    void foreignKeyFromKey() {
        for (boolean left : new boolean[] {false, true}) {
            StreamsBuilder b = new StreamsBuilder();
            KTable<String, String> orders = b.table("orders", Consumed.with(Serdes.String(), Serdes.String()));
            KTable<String, String> customers = b.table("customers", Consumed.with(Serdes.String(), Serdes.String()));
            java.util.function.BiFunction<String, String, String> customerOf = (k, v) -> {
                int i = k.indexOf('/');
                return i <= 0 ? null : k.substring(0, i);
            };
            KTable<String, String> out = left
                    ? orders.leftJoin(customers, customerOf, (v, c) -> v + " by " + (c == null ? "?" : c),
                            TableJoined.as("order-customer"))
                    : orders.join(customers, customerOf, (v, c) -> v + " by " + c, TableJoined.as("order-customer"));
            out.toStream().to("out", Produced.with(Serdes.String(), Serdes.String()));
            try (TopologyTestDriver d = Drivers.driver(b.build(), "app")) {
                TestInputTopic<String, String> o = d.createInputTopic("orders", Serdes.String().serializer(),
                        Serdes.String().serializer());
                TestInputTopic<String, String> c = d.createInputTopic("customers", Serdes.String().serializer(),
                        Serdes.String().serializer());
                c.pipeInput("alice", "Alice", 1L);
                o.pipeInput("alice/1", "book", 2L);
                o.pipeInput("alice/2", "pen", 3L);
                o.pipeInput("bob/3", "ink", 4L);
                o.pipeInput("nocustomer", "lamp", 5L);
                c.pipeInput("alice", "Alice B.", 6L);
                c.pipeInput("bob", "Bob", 7L);
                Map<String, String> got = d.createOutputTopic("out", Serdes.String().deserializer(),
                        Serdes.String().deserializer()).readKeyValuesToMap();
                got.values().removeIf(v -> v == null);
                Map<String, String> want = new java.util.HashMap<>(Map.of(
                        "alice/1", "book by Alice B.", "alice/2", "pen by Alice B.", "bob/3", "ink by Bob"));
                if (left) want.put("nocustomer", "lamp by ?");
                assertEquals(want, got, "left " + left);
            }
        }
    }
}
