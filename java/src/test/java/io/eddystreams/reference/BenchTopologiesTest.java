package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/** The benchmark topologies do what their Go twins in cmd/eddy-bench/scenario.go do. */
class BenchTopologiesTest {

    private static TestInputTopic<String, String> lines(TopologyTestDriver d) {
        return d.createInputTopic(Topologies.TEXT_LINES, Serdes.String().serializer(), Serdes.String().serializer());
    }

    @Test
    void statelessDropsShortLinesAndUpperCases() {
        try (TopologyTestDriver d = Drivers.driver(BenchTopologies.stateless(""), "bench-stateless")) {
            lines(d).pipeInput("w1 w2");
            lines(d).pipeInput("w123 W45 w67");
            List<String> got = d.createOutputTopic(BenchTopologies.TEXT_UPPER, Serdes.String().deserializer(),
                    Serdes.String().deserializer()).readValuesToList();
            assertEquals(List.of("W123 W45 W67"), got);
        }
    }

    @Test
    void windowCountsWordsPerTenSecondWindow() {
        try (TopologyTestDriver d = Drivers.driver(BenchTopologies.window(""), "bench-window")) {
            lines(d).pipeInput(null, "a B a", 1_000L);
            lines(d).pipeInput(null, "a", 12_000L);
            lines(d).pipeInput(null, "a", 2_000L); // late by 10 s, well within the 1 h grace
            var out = d.createOutputTopic(BenchTopologies.WINDOW_COUNTS_OUTPUT, Serdes.ByteArray().deserializer(),
                    Serdes.Long().deserializer()).readKeyValuesToList();
            List<String> got = out.stream().map(kv -> windowKey(kv.key) + "=" + kv.value).toList();
            assertEquals(List.of("a@0=1", "b@0=1", "a@0=2", "a@10000=1", "a@0=3"), got);
        }
    }

    /** word ‖ 8-byte big-endian window start, as Kafka Streams' TimeWindowedSerializer writes it. */
    private static String windowKey(byte[] k) {
        String word = new String(k, 0, k.length - 8, StandardCharsets.UTF_8);
        return word + "@" + ByteBuffer.wrap(k, k.length - 8, 8).getLong();
    }

    @Test
    void joinIsALeftJoinOnTheTable() {
        try (TopologyTestDriver d = Drivers.driver(BenchTopologies.join(""), "bench-join")) {
            var table = d.createInputTopic(BenchTopologies.JOIN_TABLE, Serdes.String().serializer(),
                    Serdes.String().serializer());
            var stream = d.createInputTopic(BenchTopologies.JOIN_STREAM, Serdes.String().serializer(),
                    Serdes.String().serializer());
            table.pipeInput("c1", "row1", 0L);
            stream.pipeInput("c1", "x y", 1L);
            stream.pipeInput("c2", "z", 2L);
            var got = d.createOutputTopic(BenchTopologies.JOIN_OUTPUT, Serdes.String().deserializer(),
                    Serdes.String().deserializer()).readKeyValuesToList();
            assertEquals(List.of(KeyValue.pair("c1", "x y|row1"), KeyValue.pair("c2", "z|")), got);
        }
    }

    @Test
    void restoreMaterializesEveryKey() {
        try (TopologyTestDriver d = Drivers.driver(BenchTopologies.restore(""), "bench-restore")) {
            var in = d.createInputTopic(BenchTopologies.RESTORE_KEYS, Serdes.String().serializer(),
                    Serdes.String().serializer());
            for (int i = 0; i < 100; i++) {
                in.pipeInput("k" + i, "v" + i);
            }
            KeyValueStore<String, Object> store = d.getKeyValueStore(BenchTopologies.RESTORE_STORE);
            assertTrue(store.approximateNumEntries() >= 0);
            long n = 0;
            try (var it = store.all()) {
                while (it.hasNext()) {
                    it.next();
                    n++;
                }
            }
            assertEquals(100, n);
        }
    }
}
