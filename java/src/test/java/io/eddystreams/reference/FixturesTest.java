package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Runs a small fixed input through each topology with the real TopologyTestDriver and keeps
 * the exact output bytes in src/test/resources/fixtures/&lt;topology&gt;.json, for Eddy's
 * topologytest conformance check.
 *
 * <p>If a fixture file is missing it is written; otherwise the regenerated text must equal the
 * file (the build fails on drift). Rewrite all with {@code mvn test -Deddy.updateFixtures=true}.
 *
 * <p>Format: {"topology", "config", "inputs":[{"topic","key","value","timestamp"}],
 * "outputs":[{"topic","key_hex","value_hex","timestamp"}]}. Input keys/values are UTF-8 text
 * (String serde), null = JSON null; output bytes are lower-case hex, null = JSON null. Inputs are
 * piped one at a time in file order; outputs are in the order the driver produced them. The
 * record cache is off (statestore.cache.max.bytes=0), so every store update is emitted.
 */
class FixturesTest {

    record In(String topic, String key, String value, long timestamp) {}

    record Out(String topic, byte[] key, byte[] value, long timestamp) {}

    static In in(String topic, String key, String value, long ts) {
        return new In(topic, key, value, ts);
    }

    static String view(String page, String user, long ts) {
        return GoJson.object().field("page", page).field("user", user).field("ts", ts).end();
    }

    static String order(String id, String customer, long amount) {
        return GoJson.object().field("orderId", id).field("customerId", customer).field("amount", amount).end();
    }

    static String customer(String name, String region) {
        return GoJson.object().field("name", name).field("region", region).end();
    }

    @Test
    void wordcount() throws IOException {
        String t = Topologies.TEXT_LINES;
        List<Out> outs = fixture("wordcount", Topologies.wordcount(), List.of(
                in(t, "k1", "Hello World hello", 1_000L),
                in(t, null, "the quick brown fox", 2_000L),
                in(t, "k3", "  The   LAZY\tdog\n", 3_000L),
                in(t, "k4", "", 3_500L),
                in(t, "k5", "fox FOX", 2_500L),
                in(t, "k6", "Ünïcode Straße ÜNÏCODE", 4_000L),
                in(t, "k7", "the end", 5_000L)),
                List.of(Topologies.WORD_COUNTS_OUTPUT));
        assertEquals(17, outs.size());
    }

    @Test
    void pageviews() throws IOException {
        String t = Topologies.PAGE_VIEWS;
        List<Out> outs = fixture("pageviews", Topologies.pageviews(), List.of(
                // record timestamps are deliberately not the event time: the JSON "ts" is
                in(t, "u1", view("/home", "u1", 1_700_000_000_000L), 1L),  // window [..980_000, ..040_000)
                in(t, "u2", view("/home", "u2", 1_700_000_039_999L), 2L),  // its last ms
                in(t, "u1", view("/home", "u1", 1_700_000_040_000L), 3L),  // first ms of [..040_000, ..100_000)
                in(t, "u3", view("/cart", "u3", 1_700_000_041_000L), 4L),
                in(t, "u4", "{\"page\":\"/home\",\"user\":\"u4\"}", 5L),   // no ts: skipped
                in(t, "u4", "garbage", 6L),                                 // not JSON: skipped
                in(t, "u2", view("/home", "u2", 1_700_000_035_000L), 7L),  // out of order, within grace
                in(t, "u5", view("/cart", "u5", 1_700_000_050_000L), 8L),  // stream time ..050_000
                in(t, "u6", view("/home", "u6", 1_700_000_039_000L), 9L),  // end ..040_000 <= ..050_000-10s: dropped
                in(t, "u7", view("/about", "u7", 1_700_000_099_999L), 10L),
                in(t, "u8", view("/about", "u8", 1_700_000_100_000L), 11L)),
                List.of(Topologies.PAGE_VIEW_COUNTS));
        assertEquals(8, outs.size());
    }

    @Test
    void enrichment() throws IOException {
        String o = Topologies.ORDERS;
        String c = Topologies.CUSTOMERS;
        List<Out> outs = fixture("enrichment", Topologies.enrichment(), List.of(
                in(o, "c1", order("o1", "c1", 1250), 1_000L),                  // no customer yet
                in(c, "c1", "{ \"name\": \"Ann\",\n  \"region\": \"EU\" }", 1_100L), // whitespace in input
                in(c, "c2", "{\"region\":\"APAC\",\"name\":\"Zoë <Z&Co> \\\"ltd\\\"\"}", 1_200L), // escaping
                in(o, "c1", order("o2", "c1", 1250), 2_000L),
                in(o, "c2", order("o3", "c2", 99), 2_100L),
                in(o, "c3", order("o4", "c3", 500), 2_200L),                   // missing customer
                in(c, "c1", customer("Ann B.", "US"), 3_000L),
                in(o, "c1", order("o5", "c1", 0), 2_500L),                     // older ts than the update
                in(c, "c2", null, 4_000L),                                     // tombstone
                in(o, "c2", order("o6", "c2", 7), 5_000L),                     // deleted customer
                in(o, "c1", "{\"orderId\":\"o7\",\"customerId\":\"c1\"}", 6_000L), // no amount: skipped
                in(o, "c1", order("o8", "c1", 123456789012L), 7_000L)),
                List.of(Topologies.ENRICHED_ORDERS));
        assertEquals(4, outs.size());
    }

    // ---- timestamp-order topologies (JoinTopologies) ----
    // The inputs are in the order Kafka Streams processes them when they are on the broker before it
    // starts, one partition per topic: always the partition whose next record has the lowest
    // timestamp, each partition in offset order (integration/conformance_order_test.go checks it).
    // A record older than one before it in its own topic is therefore still processed after it.

    @Test
    void joinStreamTable() throws IOException {
        String s = JoinTopologies.ST_STREAM;
        String t = JoinTopologies.ST_TABLE;
        List<Out> outs = fixture("join-stream-table", Topologies.spec("join-stream-table").build().apply(""), List.of(
                in(s, "c1", "10", 1_000L),          // no row yet
                in(t, "c1", "eu", 2_000L),
                in(s, "c1", "20", 3_000L),
                in(t, "c2", "us", 3_500L),
                in(s, "c2", "30", 4_000L),
                in(t, "c1", null, 5_000L),          // tombstone
                in(s, "c1", "40", 6_000L),
                in(t, "c3", null, 6_500L),          // tombstone of an absent row
                in(s, "c3", "50", 7_000L),
                in(s, "c2", null, 8_000L),          // null value: dropped by both joins
                in(t, "c2", "apac", 8_500L),
                in(s, "c2", "60", 9_000L)),
                List.of(JoinTopologies.ST_JOIN, JoinTopologies.ST_LEFT_JOIN));
        assertEquals(9, outs.size());
    }

    /** The scenario of JoinTopologiesTest.streamStreamUnmatched, plus matches of several records. */
    private static List<In> streamStreamInputs() {
        String l = JoinTopologies.SS_LEFT;
        String r = JoinTopologies.SS_RIGHT;
        return List.of(
                in(l, "a", "La", 10_000L),
                in(r, "b", "Rb", 11_000L),
                in(l, "m", "Lm1", 12_000L),
                in(l, "m", "Lm2", 13_000L),
                in(l, "c", "Lc", 16_000L),
                in(r, "m", "Rm", 16_500L),   // joins Lm1 and Lm2 (both within 5 s)
                in(r, "c", "Rc", 17_500L),
                in(r, "m", "Rm-late", 14_100L), // out of order in ss-right: joins Lm1 and Lm2
                in(l, "m", "Lm3", 19_000L),  // joins Rm and Rm-late
                in(l, "d", "Ld", 20_000L),
                in(r, "e", "Re", 24_000L));
    }

    @Test
    void joinStreamStream() throws IOException {
        List<Out> outs = fixture("join-stream-stream", Topologies.spec("join-stream-stream").build().apply(""),
                streamStreamInputs(), List.of(JoinTopologies.SS_JOIN, JoinTopologies.SS_LEFT_JOIN,
                        JoinTopologies.SS_OUTER_JOIN), Map.of(JoinTopologies.EMIT_INTERVAL_CONFIG, "0"));
        assertFalse(outs.isEmpty());
    }

    @Test
    void joinStreamStreamGrace() throws IOException {
        List<Out> outs = fixture("join-stream-stream-grace", Topologies.spec("join-stream-stream-grace").build().apply(""),
                streamStreamInputs(), List.of(JoinTopologies.SS_JOIN, JoinTopologies.SS_LEFT_JOIN,
                        JoinTopologies.SS_OUTER_JOIN), Map.of(JoinTopologies.EMIT_INTERVAL_CONFIG, "0"));
        assertFalse(outs.isEmpty());
    }

    @Test
    void joinTableTable() throws IOException {
        String l = JoinTopologies.TT_LEFT;
        String r = JoinTopologies.TT_RIGHT;
        List<Out> outs = fixture("join-table-table", Topologies.spec("join-table-table").build().apply(""), List.of(
                in(l, "k1", "l1", 1_000L),
                in(r, "k1", "r1", 2_000L),
                in(l, "k1", "l2", 3_000L),
                in(r, "k1", null, 4_000L),
                in(l, "k1", null, 5_000L),
                in(r, "k2", "r9", 6_000L),
                in(r, "k2", "r10", 5_500L),    // out of order in tt-right: an older update, applied all the same
                in(l, "k3", null, 6_500L),     // tombstone of absent rows on both sides: nothing
                in(l, "k2", null, 7_000L),     // absent left row, right row present
                in(l, "k2", "l3", 8_000L),
                in(r, "k2", null, 9_000L),
                in(l, "k2", null, 10_000L)),
                List.of(JoinTopologies.TT_JOIN, JoinTopologies.TT_LEFT_JOIN, JoinTopologies.TT_OUTER_JOIN));
        assertFalse(outs.isEmpty());
    }

    @Test
    void merge() throws IOException {
        String a = JoinTopologies.MERGE_A;
        String b = JoinTopologies.MERGE_B;
        List<Out> outs = fixture("merge", Topologies.spec("merge").build().apply(""), List.of(
                in(a, "k1", "a1", 1_000L),
                in(b, "k1", "b1", 2_000L),
                in(b, "k2", "b2", 1_500L),     // out of order in merge-b
                in(a, "k1", "a2", 3_000L),
                in(b, "k1", "b3", 4_000L)),
                List.of(JoinTopologies.MERGE_OUT));
        assertEquals(5, outs.size());
    }

    // ------------------------------------------------------------------------------------

    private static List<Out> fixture(String name, Topology topology, List<In> inputs, List<String> outputTopics)
            throws IOException {
        return fixture(name, topology, inputs, outputTopics, Map.of());
    }

    /** {@code config}: more Kafka Streams config, written to the fixture's "config" after the cache size. */
    private static List<Out> fixture(String name, Topology topology, List<In> inputs, List<String> outputTopics,
            Map<String, String> config) throws IOException {
        List<Out> outs = new ArrayList<>();
        Properties props = Drivers.props("fixture-" + name, Drivers.NO_CACHE);
        props.putAll(config);
        try (TopologyTestDriver d = new TopologyTestDriver(topology, props)) {
            Map<String, TestInputTopic<String, String>> ins = new HashMap<>();
            for (In r : inputs) {
                ins.computeIfAbsent(r.topic(), tp -> d.createInputTopic(tp, Serdes.String().serializer(),
                        Serdes.String().serializer())).pipeInput(r.key(), r.value(), r.timestamp());
            }
            for (String tp : outputTopics) {
                TestOutputTopic<byte[], byte[]> ot = d.createOutputTopic(tp, Serdes.ByteArray().deserializer(),
                        Serdes.ByteArray().deserializer());
                for (TestRecord<byte[], byte[]> r : ot.readRecordsToList()) {
                    outs.add(new Out(tp, r.key(), r.value(), r.timestamp()));
                }
            }
        }
        String text = render(name, inputs, outs, config);
        Path file = Drivers.moduleDir().resolve("src/test/resources/fixtures/" + name + ".json");
        boolean update = Boolean.parseBoolean(System.getProperty("eddy.updateFixtures", "false"));
        if (update || !Files.exists(file)) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } else {
            String existing = Files.readString(file, StandardCharsets.UTF_8);
            assertEquals(existing, text, file + " is stale; regenerate with -Deddy.updateFixtures=true");
        }
        assertFalse(outs.isEmpty());
        return outs;
    }

    private static String render(String name, List<In> inputs, List<Out> outs, Map<String, String> config) {
        HexFormat hex = HexFormat.of();
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"topology\": ");
        GoJson.appendString(sb, name);
        sb.append(",\n  \"config\": {\"").append(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG).append("\": \"0\"");
        for (String k : new java.util.TreeSet<>(config.keySet())) {
            sb.append(", ");
            GoJson.appendString(sb, k);
            sb.append(": ");
            GoJson.appendString(sb, config.get(k));
        }
        sb.append("},\n  \"inputs\": [");
        for (int i = 0; i < inputs.size(); i++) {
            In r = inputs.get(i);
            sb.append(i == 0 ? "\n    " : ",\n    ");
            sb.append("{\"topic\": ");
            GoJson.appendString(sb, r.topic());
            sb.append(", \"key\": ");
            str(sb, r.key());
            sb.append(", \"value\": ");
            str(sb, r.value());
            sb.append(", \"timestamp\": ").append(r.timestamp()).append('}');
        }
        sb.append("\n  ],\n  \"outputs\": [");
        for (int i = 0; i < outs.size(); i++) {
            Out r = outs.get(i);
            sb.append(i == 0 ? "\n    " : ",\n    ");
            sb.append("{\"topic\": ");
            GoJson.appendString(sb, r.topic());
            sb.append(", \"key_hex\": ");
            str(sb, r.key() == null ? null : hex.formatHex(r.key()));
            sb.append(", \"value_hex\": ");
            str(sb, r.value() == null ? null : hex.formatHex(r.value()));
            sb.append(", \"timestamp\": ").append(r.timestamp()).append('}');
        }
        sb.append("\n  ]\n}\n");
        return sb.toString();
    }

    private static void str(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
        } else {
            GoJson.appendString(sb, s);
        }
    }
}
