package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Predicate;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.ValueTransformerWithKey;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Kafka Streams' sendOldValues rules for table filters (KTableFilter), the reference of
 * topologytest/oldvalues_test.go: a filter that sends old values drops a change neither of
 * whose values passes; whether it does depends on its parent being materialized when the
 * filter is created, on downstream operators asking for old values, and on versioned semantics.
 * Every case pipes the same changes of table "in".
 */
class OldValuesTest {

    private static final Predicate<String, String> YES = (k, v) -> v.startsWith("y");

    private static List<String> read(TopologyTestDriver d, String topic) {
        List<String> out = new ArrayList<>();
        for (TestRecord<String, String> r : d.createOutputTopic(topic, Serdes.String().deserializer(),
                Serdes.String().deserializer()).readRecordsToList()) {
            out.add(r.key() + "=" + (r.value() == null ? "<null>" : r.value()) + "@" + r.timestamp());
        }
        return out;
    }

    /** k1: n1, n2 (never pass), y1 (passes), n3 (stops passing), delete; k2: delete of an absent key. */
    private static void pipeIn(TopologyTestDriver d) {
        TestInputTopic<String, String> in = d.createInputTopic("in", Serdes.String().serializer(), Serdes.String().serializer());
        in.pipeInput("k1", "n1", 1L);
        in.pipeInput("k1", "n2", 2L);
        in.pipeInput("k1", "y1", 3L);
        in.pipeInput("k1", "n3", 4L);
        in.pipeInput("k1", null, 5L);
        in.pipeInput("k2", null, 6L);
    }

    private static TopologyTestDriver run(Consumer<StreamsBuilder> topology, Consumer<TopologyTestDriver> before) {
        StreamsBuilder b = new StreamsBuilder();
        topology.accept(b);
        TopologyTestDriver d = Drivers.driver(b.build(), "oldvalues-test");
        before.accept(d);
        pipeIn(d);
        return d;
    }

    private static final List<String> ALL = List.of("k1=<null>@1", "k1=<null>@2", "k1=y1@3", "k1=<null>@4",
            "k1=<null>@5", "k2=<null>@6");
    private static final List<String> DROPPED = List.of("k1=y1@3", "k1=<null>@4");

    @Test
    void materializedSource() {
        try (TopologyTestDriver d = run(b -> b.table("in", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("src")).filter(YES).toStream().to("out"), d0 -> {})) {
            assertEquals(DROPPED, read(d, "out"));
        }
    }

    @Test
    void plainSource() {
        try (TopologyTestDriver d = run(b -> b.<String, String>table("in").filter(YES).toStream().to("out"), d0 -> {})) {
            assertEquals(ALL, read(d, "out"));
        }
    }

    /** A join materializes the source: a filter created before keeps forwarding, one created after drops. */
    @Test
    void constructionOrder() {
        try (TopologyTestDriver d = run(b -> {
            KTable<String, String> t = b.table("in");
            t.filter(YES).toStream().to("out1");
            b.<String, String>stream("s").join(t, (s, v) -> s + "|" + v).to("sj");
            t.filter(YES).toStream().to("out2");
        }, d0 -> {})) {
            assertEquals(ALL, read(d, "out1"));
            assertEquals(DROPPED, read(d, "out2"));
        }
    }

    private static void pipeOther(TopologyTestDriver d) {
        TestInputTopic<String, String> o = d.createInputTopic("other", Serdes.String().serializer(), Serdes.String().serializer());
        o.pipeInput("k1", "o1", 0L);
        o.pipeInput("k2", "o2", 0L);
    }

    /** An inner join does not ask for old values: the filter forwards, the join emits k null. */
    @Test
    void innerJoin() {
        try (TopologyTestDriver d = run(b -> {
            KTable<String, String> o = b.table("other");
            b.<String, String>table("in").filter(YES).join(o, (v, w) -> v + "|" + w).toStream().to("out");
        }, OldValuesTest::pipeOther)) {
            assertEquals(List.of("k1=<null>@1", "k1=<null>@2", "k1=y1|o1@3", "k1=<null>@4", "k1=<null>@5", "k2=<null>@6"),
                    read(d, "out"));
        }
    }

    /** A left join asks its left table for old values (forcing materialization): the filter drops. */
    @Test
    void leftJoin() {
        try (TopologyTestDriver d = run(b -> {
            KTable<String, String> o = b.table("other");
            b.<String, String>table("in").filter(YES).leftJoin(o, (v, w) -> v + "|" + w).toStream().to("out");
        }, OldValuesTest::pipeOther)) {
            assertEquals(List.of("k1=y1|o1@3", "k1=<null>@4"), read(d, "out"));
        }
    }

    /** groupBy asks for old values: only the passing row is added and subtracted. */
    @Test
    void groupByCount() {
        try (TopologyTestDriver d = run(b -> b.<String, String>table("in").filter(YES)
                .groupBy((k, v) -> KeyValue.pair("all", v), Grouped.with(Serdes.String(), Serdes.String()))
                .count().toStream().mapValues(String::valueOf).to("out"), d0 -> {})) {
            assertEquals(List.of("all=1@3", "all=0@4"), read(d, "out"));
        }
    }

    /** A filter of a versioned table has versioned semantics: it never drops. */
    @Test
    void versionedSource() {
        try (TopologyTestDriver d = run(b -> b.table("in",
                Materialized.<String, String>as(Stores.persistentVersionedKeyValueStore("v", Duration.ofMinutes(5))))
                .filter(YES).toStream().to("out"), d0 -> {})) {
            assertEquals(ALL, read(d, "out"));
        }
    }

    /** A materialized filter of a table that is not materialized: no old values, nothing dropped. */
    @Test
    void materializedFilter() {
        try (TopologyTestDriver d = run(b -> b.<String, String>table("in")
                .filter(YES, Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("f"))
                .toStream().to("out"), d0 -> {})) {
            assertEquals(ALL, read(d, "out"));
        }
    }

    /**
     * A filter of the materialized filter asks it for old values, which it then reads from its
     * store: both drop (the flag is read when the processors run, so the earlier toStream too).
     */
    @Test
    void materializedFilterThenFilter() {
        try (TopologyTestDriver d = run(b -> {
            KTable<String, String> f = b.<String, String>table("in")
                    .filter(YES, Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("f"));
            f.toStream().to("out1");
            f.filter((k, v) -> true).toStream().to("out2");
        }, d0 -> {})) {
            assertEquals(DROPPED, read(d, "out1"));
            assertEquals(DROPPED, read(d, "out2"));
        }
    }

    /** topologytest's TestTableFilterMapValuesToStream. */
    @Test
    void pricesFilterMapValues() {
        StreamsBuilder b = new StreamsBuilder();
        b.table("prices", Consumed.with(Serdes.String(), Serdes.Long()), Materialized.as("prices"))
                .filter((k, p) -> p >= 100).mapValues(p -> p / 100)
                .toStream().to("dollars", Produced.with(Serdes.String(), Serdes.Long()));
        try (TopologyTestDriver d = Drivers.driver(b.build(), "oldvalues-prices")) {
            TestInputTopic<String, Long> in = d.createInputTopic("prices", Serdes.String().serializer(), Serdes.Long().serializer());
            in.pipeInput("a", 250L);
            in.pipeInput("b", 50L);
            in.pipeInput("a", 30L);
            in.pipeInput("b", null);
            in.pipeInput("c", 1000L);
            List<String> out = new ArrayList<>();
            for (TestRecord<String, Long> r : d.createOutputTopic("dollars", Serdes.String().deserializer(),
                    Serdes.Long().deserializer()).readRecordsToList()) {
                out.add(r.key() + "=" + r.value());
            }
            assertEquals(List.of("a=2", "a=null", "c=10"), out);
        }
    }

    private static void pipeWindowed(TopologyTestDriver d) {
        TestInputTopic<String, String> w = d.createInputTopic("w", Serdes.String().serializer(), Serdes.String().serializer());
        w.pipeInput("k1", "a", 1L);
        w.pipeInput("k1", "b", 2L);
        w.pipeInput("k1", "c", 3L);
        w.pipeInput("k2", "d", 4L);
    }

    private static KeyValue<String, String> windowed(Windowed<String> wk, Long c) {
        return KeyValue.pair(wk.key() + "@" + wk.window().start() + "-" + wk.window().end(), c == null ? null : String.valueOf(c));
    }

    /** An aggregation always sends old values: a windowed count's filter drops. */
    @Test
    void windowedFilter() {
        StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("w").groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(100)))
                .count().filter((wk, c) -> c < 2).toStream().map(OldValuesTest::windowed).to("out");
        try (TopologyTestDriver d = Drivers.driver(b.build(), "oldvalues-windowed")) {
            pipeWindowed(d);
            assertEquals(List.of("k1@0-100=1@1", "k1@0-100=<null>@2", "k2@0-100=1@4"), read(d, "out"));
        }
    }

    /** The same for a session count: merged-away sessions are deletions of rows that passed. */
    @Test
    void sessionFilter() {
        StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("w").groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(Duration.ofMillis(10)))
                .count().filter((wk, c) -> c < 2).toStream().map(OldValuesTest::windowed).to("out");
        try (TopologyTestDriver d = Drivers.driver(b.build(), "oldvalues-session")) {
            pipeWindowed(d);
            assertEquals(List.of("k1@1-1=1@1", "k1@1-1=<null>@1", "k2@4-4=1@4"), read(d, "out"));
        }
    }

    /** Numbers the values it transforms: an inner join asks for no old values, so one call per update. */
    private static final class Counter implements ValueTransformerWithKey<String, String, String> {
        private int n;

        @Override
        public void init(ProcessorContext context) {}

        @Override
        public String transform(String key, String value) {
            n++;
            return value == null ? null : value + "#" + n;
        }

        @Override
        public void close() {}
    }

    @Test
    void transformValuesInnerJoin() {
        try (TopologyTestDriver d = run(b -> {
            KTable<String, String> o = b.table("other");
            b.<String, String>table("in").transformValues(Counter::new).join(o, (v, w) -> v + "|" + w).toStream().to("out");
        }, OldValuesTest::pipeOther)) {
            assertEquals(List.of("k1=n1#1|o1@1", "k1=n2#2|o1@2", "k1=y1#3|o1@3", "k1=n3#4|o1@4", "k1=<null>@5", "k2=<null>@6"),
                    read(d, "out"));
        }
    }

    /** suppress asks for old values (with force): the filter drops before the buffer. */
    @Test
    void suppressTimeLimit() {
        try (TopologyTestDriver d = run(b -> b.<String, String>table("in").filter(YES)
                .suppress(Suppressed.untilTimeLimit(Duration.ofMillis(10), Suppressed.BufferConfig.unbounded()))
                .toStream().to("out"), d0 -> {})) {
            d.createInputTopic("in", Serdes.String().serializer(), Serdes.String().serializer()).pipeInput("k9", "y9", 100L);
            assertEquals(List.of("k1=<null>@4"), read(d, "out"));
        }
    }

    /**
     * A transformValues of a versioned table materialized in a key-value store is not versioned:
     * its filter drops (and sends old values: the transformValues is materialized).
     */
    @Test
    void versionedThroughKeyValueTransformValues() {
        try (TopologyTestDriver d = run(b -> b.table("in",
                        Materialized.<String, String>as(Stores.persistentVersionedKeyValueStore("v", Duration.ofMinutes(5))))
                .transformValues(() -> new ValueTransformerWithKey<String, String, String>() {
                    @Override
                    public void init(ProcessorContext context) {}

                    @Override
                    public String transform(String key, String value) {
                        return value;
                    }

                    @Override
                    public void close() {}
                }, Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("tv"))
                .filter(YES).toStream().to("out"), d0 -> {})) {
            assertEquals(DROPPED, read(d, "out"));
        }
    }

    private static List<String> fkJoin(boolean materialized) {
        StreamsBuilder b = new StreamsBuilder();
        KTable<String, String> orders = b.table("orders");
        KTable<String, String> products = b.table("products");
        KTable<String, String> fk = materialized
                ? orders.join(products, v -> v, (o, p) -> p, Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("fk"))
                : orders.join(products, v -> v, (o, p) -> p);
        fk.filter(YES).toStream().to("out");
        try (TopologyTestDriver d = Drivers.driver(b.build(), "oldvalues-fk")) {
            TestInputTopic<String, String> o = d.createInputTopic("orders", Serdes.String().serializer(), Serdes.String().serializer());
            TestInputTopic<String, String> p = d.createInputTopic("products", Serdes.String().serializer(), Serdes.String().serializer());
            p.pipeInput("p1", "n1", 1L);
            o.pipeInput("o1", "p1", 2L);
            p.pipeInput("p1", "y1", 3L);
            p.pipeInput("p1", "n2", 4L);
            p.pipeInput("p1", "n3", 5L);
            return read(d, "out");
        }
    }

    /** A foreign-key join's result is a source table: materialized only when named. */
    @Test
    void foreignKeyJoinResult() {
        assertEquals(List.of("o1=<null>@2", "o1=y1@3", "o1=<null>@4", "o1=<null>@5"), fkJoin(false));
        assertEquals(List.of("o1=y1@3", "o1=<null>@4"), fkJoin(true));
    }
}
