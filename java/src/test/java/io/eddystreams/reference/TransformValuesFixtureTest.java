package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Records TransformValuesTopologies' output for a fixed input with the real TopologyTestDriver in
 * src/test/resources/fixtures/table-transform-values.json (the format of FixturesTest, record cache
 * off), for topologytest/transform_values_conformance_test.go. A missing file is written; an
 * existing one must match (rewrite with {@code -Deddy.updateFixtures=true}).
 */
class TransformValuesFixtureTest {

    record In(String key, String value, long timestamp) {}

    @Test
    void tableTransformValues() throws IOException {
        List<In> inputs = List.of(
                new In("a", "x", 1_000L),
                new In("b", "y", 2_000L),
                new In("a", "z", 3_000L),
                new In("a", null, 4_000L),       // deletion: the transformer sees null
                new In("keep1", null, 5_000L),   // deletion of an absent key, turned into a value
                new In("keep1", "w", 6_000L),
                new In("keep1", null, 7_000L),   // deletion turned into a value
                new In("c", "", 8_000L),         // a value the transformer turns into null
                new In("c", "v", 9_000L),
                new In("b", null, 10_000L));
        List<String> topics = List.of(TransformValuesTopologies.OUT, TransformValuesTopologies.GROUPED,
                TransformValuesTopologies.MAT_OUT, TransformValuesTopologies.MAT_GROUPED);
        HexFormat hex = HexFormat.of();
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"topology\": \"table-transform-values\",\n  \"config\": {\"")
                .append(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG).append("\": \"0\"},\n  \"inputs\": [");
        List<String> outs = new ArrayList<>();
        try (TopologyTestDriver d = new TopologyTestDriver(TransformValuesTopologies.build(),
                Drivers.props("fixture-table-transform-values", Drivers.NO_CACHE))) {
            TestInputTopic<String, String> in = d.createInputTopic(TransformValuesTopologies.WORDS,
                    Serdes.String().serializer(), Serdes.String().serializer());
            for (int i = 0; i < inputs.size(); i++) {
                In r = inputs.get(i);
                in.pipeInput(r.key(), r.value(), r.timestamp());
                sb.append(i == 0 ? "\n    " : ",\n    ").append("{\"topic\": ");
                GoJson.appendString(sb, TransformValuesTopologies.WORDS);
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
        Path file = Drivers.moduleDir().resolve("src/test/resources/fixtures/table-transform-values.json");
        boolean update = Boolean.parseBoolean(System.getProperty("eddy.updateFixtures", "false"));
        if (update || !Files.exists(file)) {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } else {
            assertEquals(Files.readString(file, StandardCharsets.UTF_8), text,
                    file + " is stale; regenerate with -Deddy.updateFixtures=true");
        }
        assertEquals(4, topics.size());
    }
}
