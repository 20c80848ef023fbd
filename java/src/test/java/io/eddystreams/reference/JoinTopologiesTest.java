package io.eddystreams.reference;

import static io.eddystreams.reference.JoinTopologies.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * The small cases of the timestamp-order conformance test (integration/conformance_order_test.go),
 * piped in timestamp order, which is the order Kafka Streams processes them in when every input is
 * on the broker before the application starts. The Go test expects these exact outputs from the
 * real application, and Eddy's.
 */
class JoinTopologiesTest {

    record In(String topic, String key, String value, long ts) {}

    static In in(String topic, String key, String value, long ts) {
        return new In(topic, key, value, ts);
    }

    /** Pipes the inputs in list order; returns each output topic as "key=value@ts" (value null: a tombstone). */
    static Map<String, List<String>> run(Topology t, List<In> inputs, String... outputs) {
        Properties p = Drivers.props("join-topologies-test", Drivers.NO_CACHE);
        p.put(EMIT_INTERVAL_CONFIG, "0");
        Map<String, List<String>> got = new HashMap<>();
        try (TopologyTestDriver d = new TopologyTestDriver(t, p)) {
            Map<String, TestInputTopic<String, String>> ins = new HashMap<>();
            for (In r : inputs) {
                ins.computeIfAbsent(r.topic(), tp -> d.createInputTopic(tp, Serdes.String().serializer(),
                        Serdes.String().serializer())).pipeInput(r.key(), r.value(), r.ts());
            }
            for (String o : outputs) {
                List<String> recs = new ArrayList<>();
                for (TestRecord<String, String> r : d.createOutputTopic(o, Serdes.String().deserializer(),
                        Serdes.String().deserializer()).readRecordsToList()) {
                    recs.add(r.key() + "=" + r.value() + "@" + r.timestamp());
                }
                got.put(o, recs);
            }
        }
        return got;
    }

    static Topology topology(String name) {
        return Topologies.spec(name).build().apply("");
    }

    @Test
    void streamTable() {
        Map<String, List<String>> got = run(topology("join-stream-table"), List.of(
                in(ST_STREAM, "c1", "10", 1_000L),
                in(ST_TABLE, "c1", "eu", 2_000L),
                in(ST_STREAM, "c1", "20", 3_000L)),
                ST_JOIN, ST_LEFT_JOIN);
        assertEquals(List.of("c1=20|eu@3000"), got.get(ST_JOIN));
        assertEquals(List.of("c1=10|null@1000", "c1=20|eu@3000"), got.get(ST_LEFT_JOIN));
    }

    @Test
    void streamStream() {
        for (String name : List.of("join-stream-stream", "join-stream-stream-grace")) {
            Map<String, List<String>> got = run(topology(name), List.of(
                    in(SS_LEFT, "k1", "L1", 0L),
                    in(SS_RIGHT, "k1", "R1", 1_000L),
                    in(SS_RIGHT, "kz", "RZ", 30_000L),
                    in(SS_LEFT, "kz", "LZ", 30_001L)),
                    SS_JOIN, SS_LEFT_JOIN, SS_OUTER_JOIN);
            for (String o : List.of(SS_JOIN, SS_LEFT_JOIN, SS_OUTER_JOIN)) {
                assertEquals(List.of("k1=L1|R1@1000", "kz=LZ|RZ@30001"), got.get(o), name + " " + o);
            }
        }
    }

    /**
     * Unmatched records wait for their window to close (stream time past ts + after + grace), then
     * come out with their own timestamp. Kafka Streams skips the scan of unmatched records while
     * {@code minTime + after + grace >= stream time}, where minTime is the timestamp of the last
     * record its previous scan looked at, not the oldest one left: with grace, Rb (window closed at
     * 18000) waits until stream time passes 16000 + 7000, so it comes out at Re (24000), not at Ld.
     */
    @Test
    void streamStreamUnmatched() {
        List<In> inputs = List.of(
                in(SS_LEFT, "a", "La", 10_000L),
                in(SS_RIGHT, "b", "Rb", 11_000L),
                in(SS_LEFT, "c", "Lc", 16_000L),    // no grace: La's window closed (15000 < 16000)
                in(SS_RIGHT, "c", "Rc", 17_500L),   // no grace: Rb's closed; grace: La's (17000)
                in(SS_LEFT, "d", "Ld", 20_000L),    // grace: Rb's closed (18000) but not scanned
                in(SS_RIGHT, "e", "Re", 24_000L));  // grace: 24000 > 23000 scans, Rb out
        Map<String, List<String>> noGrace = run(topology("join-stream-stream"), inputs, SS_JOIN, SS_LEFT_JOIN, SS_OUTER_JOIN);
        assertEquals(List.of("c=Lc|Rc@17500"), noGrace.get(SS_JOIN));
        assertEquals(List.of("a=La|null@10000", "c=Lc|Rc@17500"), noGrace.get(SS_LEFT_JOIN));
        assertEquals(List.of("a=La|null@10000", "b=null|Rb@11000", "c=Lc|Rc@17500"), noGrace.get(SS_OUTER_JOIN));
        Map<String, List<String>> grace = run(topology("join-stream-stream-grace"), inputs, SS_JOIN, SS_LEFT_JOIN, SS_OUTER_JOIN);
        assertEquals(List.of("c=Lc|Rc@17500"), grace.get(SS_JOIN));
        assertEquals(List.of("a=La|null@10000", "c=Lc|Rc@17500"), grace.get(SS_LEFT_JOIN));
        assertEquals(List.of("a=La|null@10000", "c=Lc|Rc@17500", "b=null|Rb@11000"), grace.get(SS_OUTER_JOIN));
    }

    @Test
    void tableTable() {
        Map<String, List<String>> got = run(topology("join-table-table"), List.of(
                in(TT_LEFT, "k1", "l1", 1_000L),
                in(TT_RIGHT, "k1", "r1", 2_000L),
                in(TT_LEFT, "k1", "l2", 3_000L),
                in(TT_RIGHT, "k1", null, 4_000L),
                in(TT_LEFT, "k1", null, 5_000L),
                in(TT_RIGHT, "k2", "r9", 6_000L)),
                TT_JOIN, TT_LEFT_JOIN, TT_OUTER_JOIN);
        assertEquals(List.of("k1=l1|r1@2000", "k1=l2|r1@3000", "k1=null@4000"), got.get(TT_JOIN));
        assertEquals(List.of("k1=l1|null@1000", "k1=l1|r1@2000", "k1=l2|r1@3000", "k1=l2|null@4000", "k1=null@5000"),
                got.get(TT_LEFT_JOIN));
        assertEquals(List.of("k1=l1|null@1000", "k1=l1|r1@2000", "k1=l2|r1@3000", "k1=l2|null@4000", "k1=null@5000",
                "k2=null|r9@6000"), got.get(TT_OUTER_JOIN));
    }

    @Test
    void merge() {
        Map<String, List<String>> got = run(topology("merge"), List.of(
                in(MERGE_A, "k1", "a1", 1_000L),
                in(MERGE_B, "k1", "b1", 2_000L),
                in(MERGE_A, "k1", "a2", 3_000L),
                in(MERGE_B, "k1", "b2", 4_000L)),
                MERGE_OUT);
        assertEquals(List.of("k1=a1@1000", "k1=b1@2000", "k1=a2@3000", "k1=b2@4000"), got.get(MERGE_OUT));
    }

    /** The small and the randomized input of a conformance case run in one application, each on its prefix. */
    @Test
    void severalPrefixesInOneTopology() {
        Topology t = Topologies.build(List.of(Topologies.spec("join-stream-stream"), Topologies.spec("join-stream-stream-grace")),
                List.of("small.", "random."));
        String d = t.describe().toString();
        for (String p : List.of("small.", "random.")) {
            assertTrue(d.contains("topics: [" + p + SS_LEFT + "]"), d);
            assertTrue(d.contains("topic: " + p + SS_OUTER_JOIN + ")"), d);
        }
        Map<String, List<String>> got = run(t, List.of(
                in("small." + SS_LEFT, "a", "La", 10_000L),
                in("random." + SS_LEFT, "a", "La", 10_000L),
                in("small." + SS_RIGHT, "x", "Rx", 16_000L),
                in("random." + SS_RIGHT, "x", "Rx", 16_000L),
                in("small." + SS_RIGHT, "x", "Rx2", 17_001L),
                in("random." + SS_RIGHT, "x", "Rx2", 17_001L)),
                "small." + SS_LEFT_JOIN, "random." + SS_LEFT_JOIN);
        assertEquals(List.of("a=La|null@10000"), got.get("small." + SS_LEFT_JOIN)); // closed at 15000
        assertEquals(List.of("a=La|null@10000"), got.get("random." + SS_LEFT_JOIN)); // closed at 17000
        Topology same = Topologies.build(List.of(Topologies.spec("merge")), List.of("p1.", "p2."));
        assertTrue(same.describe().toString().contains("topic: p2." + MERGE_OUT + ")"));
        assertThrows(IllegalArgumentException.class,
                () -> Topologies.build(List.of(Topologies.spec("wordcount")), List.of("p1.", "p2.")));
        assertThrows(IllegalArgumentException.class, () -> Topologies.build(
                List.of(Topologies.spec("merge"), Topologies.spec("merge")), List.of("p1.", "p2.", "p3.")));
        assertEquals(Duration.ofSeconds(5), SS_WINDOW);
    }
}
