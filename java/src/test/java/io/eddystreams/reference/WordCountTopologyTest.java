package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

class WordCountTopologyTest {

    private static TestInputTopic<String, String> in(TopologyTestDriver d) {
        return d.createInputTopic(Topologies.TEXT_LINES, Serdes.String().serializer(), Serdes.String().serializer());
    }

    private static TestOutputTopic<String, Long> out(TopologyTestDriver d) {
        return d.createOutputTopic(Topologies.WORD_COUNTS_OUTPUT, Serdes.String().deserializer(),
                Serdes.Long().deserializer());
    }

    @Test
    void splitsLowerCasesAndDropsEmpties() {
        assertEquals(List.of("hello", "world", "foo"), Topologies.words("  Hello\tWORLD\n\u000bfoo  "));
        assertEquals(List.of(), Topologies.words("   "));
        assertEquals(List.of(), Topologies.words(""));
        assertEquals(List.of(), Topologies.words(null));
        // Java's \s is ASCII-only: NBSP (U+00A0) and U+2003 do not split.
        assertEquals(List.of("a\u00a0b\u2003c"), Topologies.words("a\u00a0b\u2003c"));
    }

    @Test
    void countsEveryUpdateWithoutCache() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.wordcount(), "wc-test")) {
            TestInputTopic<String, String> in = in(d);
            TestOutputTopic<String, Long> out = out(d);
            in.pipeInput("k1", "Hello World hello", 1000L);
            in.pipeInput(null, "  world  ", 500L);   // null key is fine: groupBy re-keys
            in.pipeInput("k3", "", 2000L);          // no words, no output
            in.pipeInput("k4", null, 2000L);        // null value, no output
            List<TestRecord<String, Long>> got = out.readRecordsToList();
            assertEquals(List.of(
                    new TestRecord<>("hello", 1L, null, 1000L),
                    new TestRecord<>("world", 1L, null, 1000L),
                    new TestRecord<>("hello", 2L, null, 1000L),
                    // aggregate timestamp = max(input ts, previous aggregate ts)
                    new TestRecord<>("world", 2L, null, 1000L)),
                    got.stream().map(r -> new TestRecord<>(r.key(), r.value(), null, r.timestamp())).toList());
            assertEquals(2L, d.<String, Long>getKeyValueStore(Topologies.WORD_COUNTS).get("hello"));
        }
    }

    @Test
    void defaultCacheStillEmitsEveryUpdateInTheDriver() {
        // TopologyTestDriver feeds each record written to the repartition topic back as its own
        // input and commits (flushes the cache) after each, so even with the default 10 MiB cache
        // nothing is collapsed here. Against a broker the downstream task reads batches and the
        // cache does collapse updates between commits.
        try (TopologyTestDriver d = Drivers.driver(Topologies.wordcount(), "wc-cache", Drivers.DEFAULT_CACHE)) {
            in(d).pipeInput("k1", "Hello World hello", 1000L);
            in(d).pipeInput("k2", "world", 1500L);
            List<KeyValue<String, Long>> got = out(d).readKeyValuesToList();
            assertEquals(List.of(KeyValue.pair("hello", 1L), KeyValue.pair("world", 1L), KeyValue.pair("hello", 2L),
                    KeyValue.pair("world", 2L)), got);
        }
    }

    @Test
    void internalTopicNames() {
        TopologyDescription desc = Topologies.wordcount().describe();
        String s = desc.toString();
        assertTrue(s.contains("word-counts-repartition"), s);
        assertTrue(s.contains("stores: [word-counts]"), s);
    }
}
