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
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Records the output of TransformValuesTopologies (for topologytest/transform_values_conformance_test.go)
 * and OrdersTopologies (for examples/orders/conformance_test.go) for fixed inputs with the real
 * TopologyTestDriver in src/test/resources/fixtures/&lt;name&gt;.json (the format of FixturesTest,
 * record cache off). A missing file is written; an
 * existing one must match (rewrite with {@code -Deddy.updateFixtures=true}).
 */
class TransformValuesFixtureTest {

    record In(String topic, String key, String value, long timestamp) {}

    static In in(String key, String value, long timestamp) {
        return new In(TransformValuesTopologies.WORDS, key, value, timestamp);
    }

    @Test
    void tableTransformValues() throws IOException {
        List<In> inputs = List.of(
                in("a", "x", 1_000L),
                in("b", "y", 2_000L),
                in("a", "z", 3_000L),
                in("a", null, 4_000L),       // deletion: the transformer sees null
                in("keep1", null, 5_000L),   // deletion of an absent key, turned into a value
                in("keep1", "w", 6_000L),
                in("keep1", null, 7_000L),   // deletion turned into a value
                in("c", "", 8_000L),         // a value the transformer turns into null
                in("c", "v", 9_000L),
                in("b", null, 10_000L));
        List<String> topics = List.of(TransformValuesTopologies.OUT, TransformValuesTopologies.GROUPED,
                TransformValuesTopologies.MAT_OUT, TransformValuesTopologies.MAT_GROUPED);
        record("table-transform-values", TransformValuesTopologies.build(), inputs, topics);
    }

    /** examples/orders: foreign-key join and re-grouping, rows parsed by transformValues. */
    @Test
    void orders() throws IOException {
        String o = OrdersTopologies.ORDERS;
        String c = OrdersTopologies.CUSTOMERS;
        List<In> inputs = List.of(
                new In(o, "o1", "{\"customerId\":\"c1\",\"amount\":1250}", 1_000L), // customer not there yet
                new In(c, "c1", "{\"name\":\"Ann\",\"region\":\"EU\"}", 2_000L),
                new In(c, "c2", "{\"name\":\"Bo\",\"region\":\"US\"}", 3_000L),
                new In(o, "o2", "{\"customerId\":\"c2\",\"amount\":800}", 4_000L),
                new In(o, "o3", "{\"customerId\":\"c1\",\"amount\":200}", 5_000L),
                new In(o, "o4", "not json", 6_000L),                                        // invalid: deleted
                new In(o, "o5", "{\"customerId\":\"c9\",\"amount\":5}", 7_000L),        // unknown customer
                new In(c, "c1", "{\"name\":\"Ann\",\"region\":\"US\"}", 8_000L),      // Ann moves
                new In(o, "o2", null, 9_000L),                                              // cancelled
                new In(o, "o3", "{\"customerId\":\"c2\",\"amount\":\"five\"}", 10_000L), // invalid update
                new In(c, "c2", "{\"name\":\"Bo\"}", 11_000L),                            // invalid: deleted
                new In(o, "o1", "{\"customerId\":\"c1\",\"amount\":1300}", 12_000L));
        record("orders", OrdersTopologies.build(), inputs, List.of(OrdersTopologies.ENRICHED, OrdersTopologies.REVENUE));
    }

    private static void record(String name, org.apache.kafka.streams.Topology topology, List<In> inputs, List<String> topics)
            throws IOException {
        HexFormat hex = HexFormat.of();
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"topology\": ");
        GoJson.appendString(sb, name);
        sb.append(",\n  \"config\": {\"")
                .append(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG).append("\": \"0\"},\n  \"inputs\": [");
        List<String> outs = new ArrayList<>();
        try (TopologyTestDriver d = new TopologyTestDriver(topology, Drivers.props("fixture-" + name, Drivers.NO_CACHE))) {
            Map<String, TestInputTopic<String, String>> ins = new HashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                In r = inputs.get(i);
                ins.computeIfAbsent(r.topic(), tp -> d.createInputTopic(tp, Serdes.String().serializer(),
                        Serdes.String().serializer())).pipeInput(r.key(), r.value(), r.timestamp());
                sb.append(i == 0 ? "\n    " : ",\n    ").append("{\"topic\": ");
                GoJson.appendString(sb, r.topic());
                sb.append(", \"key\": ");
                GoJson.appendString(sb, r.key());
                sb.append(", \"value\": ");
                if (r.value() == null) {
                    sb.append("null");
                } else {
                    GoJson.appendString(sb, r.value());
                }
                sb.append(", \"timestamp\": ").append(r.timestamp()).append('}');
            }
            for (String tp : topics) {
                TestOutputTopic<byte[], byte[]> ot = d.createOutputTopic(tp, Serdes.ByteArray().deserializer(),
                        Serdes.ByteArray().deserializer());
                for (TestRecord<byte[], byte[]> r : ot.readRecordsToList()) {
                    StringBuilder o = new StringBuilder("{\"topic\": ");
                    GoJson.appendString(o, tp);
                    o.append(", \"key_hex\": ").append(r.key() == null ? "null" : "\"" + hex.formatHex(r.key()) + "\"");
                    o.append(", \"value_hex\": ").append(r.value() == null ? "null" : "\"" + hex.formatHex(r.value()) + "\"");
                    o.append(", \"timestamp\": ").append(r.timestamp()).append('}');
                    outs.add(o.toString());
                }
            }
        }
        sb.append("\n  ],\n  \"outputs\": [");
        for (int i = 0; i < outs.size(); i++) {
            sb.append(i == 0 ? "\n    " : ",\n    ").append(outs.get(i));
        }
        sb.append("\n  ]\n}\n");
        String text = sb.toString();
        Path file = Drivers.moduleDir().resolve("src/test/resources/fixtures/" + name + ".json");
        boolean update = Boolean.parseBoolean(System.getProperty("eddy.updateFixtures", "false"));
        if (update || !Files.exists(file)) {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } else {
            assertEquals(Files.readString(file, StandardCharsets.UTF_8), text,
                    file + " is stale; regenerate with -Deddy.updateFixtures=true");
        }
        assertFalse(outs.isEmpty());
    }
}
