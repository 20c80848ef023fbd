package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/** --topic-prefix: user topics get the prefix; internal topics and stores keep their names. */
class TopicPrefixTest {

    @Test
    void everySpecPrefixesItsUserTopicsOnly() {
        for (Topologies.Spec spec : Topologies.all().values()) {
            String plain = spec.build().apply("").describe().toString();
            String prefixed = spec.build().apply("run7.").describe().toString();
            for (String t : spec.inputs()) {
                assertTrue(plain.contains("topics: [" + t + "]"), plain);
                assertTrue(prefixed.contains("topics: [run7." + t + "]"), prefixed);
            }
            for (String t : spec.outputs()) {
                assertTrue(prefixed.contains("topic: run7." + t + ")"), prefixed);
                assertFalse(prefixed.contains("topic: " + t + ")"), prefixed);
            }
            assertEquals(spec.inputs().stream().map(t -> "run7." + t).toList(), spec.inputs("run7."));
            assertEquals(spec.outputs().stream().map(t -> "run7." + t).toList(), spec.outputs("run7."));
            // Same processors, stores and internal topics apart from the user topic names.
            String stripped = prefixed.replace("run7.", "");
            assertEquals(plain, stripped);
        }
    }

    @Test
    void prefixedWordCountRuns() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.wordcount("p-"), "wc-prefix")) {
            d.createInputTopic("p-" + Topologies.TEXT_LINES, Serdes.String().serializer(), Serdes.String().serializer())
                    .pipeInput("k", "a b a", 5L);
            List<KeyValue<String, Long>> got = d.createOutputTopic("p-" + Topologies.WORD_COUNTS_OUTPUT,
                    Serdes.String().deserializer(), Serdes.Long().deserializer()).readKeyValuesToList();
            assertEquals(List.of(KeyValue.pair("a", 1L), KeyValue.pair("b", 1L), KeyValue.pair("a", 2L)), got);
        }
    }
}
