package io.eddystreams.reference;

import static io.eddystreams.reference.CogroupTopologies.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * The small case of the cogroup conformance test (integration/conformance_cogroup_test.go), piped
 * in timestamp order, the order Kafka Streams processes it in when the input is on the broker
 * before the application starts. topologytest/cogroup_test.go expects the same outputs from Eddy.
 */
class CogroupTopologiesTest {

    private static <K> List<String> read(TopologyTestDriver d, String topic, Deserializer<K> keys) {
        List<String> out = new ArrayList<>();
        for (TestRecord<K, String> r : d.createOutputTopic(topic, keys, Serdes.String().deserializer()).readRecordsToList()) {
            String k;
            if (r.key() instanceof Windowed<?> w) {
                k = w.key() + "[" + w.window().start() + "," + w.window().end() + "]";
            } else {
                k = String.valueOf(r.key());
            }
            out.add(k + "=" + (r.value() == null ? "<null>" : r.value()) + "@" + r.timestamp());
        }
        return out;
    }

    @Test
    void small() {
        Topology t = Topologies.spec("cogroup").build().apply("");
        try (TopologyTestDriver d = Drivers.driver(t, "cogroup-test")) {
            TestInputTopic<String, String> a = d.createInputTopic(CG_A, Serdes.String().serializer(), Serdes.String().serializer());
            TestInputTopic<String, Long> b = d.createInputTopic(CG_B, Serdes.String().serializer(), Serdes.Long().serializer());
            TestInputTopic<String, String> c = d.createInputTopic(CG_C, Serdes.String().serializer(), Serdes.String().serializer());
            a.pipeInput("k1", "a1", 1_000L);
            b.pipeInput("k1", 5L, 2_000L);
            c.pipeInput("k2", "c1", 3_000L);
            a.pipeInput("k2", "a2", 4_000L);
            b.pipeInput("k1", null, 5_000L);
            b.pipeInput("k2", 7L, 6_000L);
            c.pipeInput("k1", "c2", 7_000L);
            a.pipeInput("k1", "a3", 20_000L);
            a.pipeInput("k1", "a4", 9_000L);

            assertEquals(List.of("k1=a1@1000", "k1=a1b5@2000", "k2=c1@3000", "k2=c1a2@4000", "k2=c1a2b7@6000",
                    "k1=a1b5c2@7000", "k1=a1b5c2a3@20000", "k1=a1b5c2a3a4@20000"),
                    read(d, CG_AGG, Serdes.String().deserializer()));
            assertEquals(List.of(
                    "k1[0,10000]=a1@1000", "k1[0,10000]=a1b5@2000", "k2[0,10000]=c1@3000", "k2[0,10000]=c1a2@4000",
                    "k1[0,10000]=a1b5b0@5000", "k1[5000,15000]=b0@5000",
                    "k2[0,10000]=c1a2b7@6000", "k2[5000,15000]=b7@6000",
                    "k1[0,10000]=a1b5b0c2@7000", "k1[5000,15000]=b0c2@7000",
                    "k1[15000,25000]=a3@20000", "k1[20000,30000]=a3@20000"),
                    read(d, CG_WINDOWED, WindowedSerdes.timeWindowedSerdeFrom(String.class, WINDOW_SIZE.toMillis()).deserializer()));
            assertEquals(List.of(
                    "k1[1000,1000]=a1@1000",
                    "k1[1000,1000]=<null>@1000", "k1[1000,2000]=+a1b5@2000",
                    "k2[3000,3000]=c1@3000",
                    "k2[3000,3000]=<null>@3000", "k2[3000,4000]=+c1a2@4000",
                    "k1[1000,2000]=<null>@2000", "k1[1000,5000]=++a1b5b0@5000",
                    "k2[3000,4000]=<null>@4000", "k2[3000,6000]=++c1a2b7@6000",
                    "k1[1000,5000]=<null>@5000", "k1[1000,7000]=+++a1b5b0c2@7000",
                    "k1[20000,20000]=a3@20000"),
                    read(d, CG_SESSION, WindowedSerdes.sessionWindowedSerdeFrom(String.class).deserializer()));
            assertEquals(List.of(
                    "k1[0,5000]=a1@1000", "k1[1001,6001]=b5@2000", "k1[0,5000]=a1b5@2000",
                    "k2[0,5000]=c1@3000", "k2[3001,8001]=a2@4000", "k2[0,5000]=c1a2@4000",
                    "k2[3001,8001]=a2b7@6000", "k2[4001,9001]=b7@6000", "k2[1000,6000]=c1a2b7@6000",
                    "k1[2001,7001]=c2@7000", "k1[2000,7000]=b5c2@7000",
                    "k1[15000,20000]=a3@20000"),
                    read(d, CG_SLIDING, WindowedSerdes.timeWindowedSerdeFrom(String.class, SLIDING_DIFF.toMillis()).deserializer()));
        }
    }
}
