package io.eddystreams.reference;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The exception handlers and dead-letter queue (KIP-1033, KIP-1034), for
 * integration/conformance_handlers_test.go: eh-in (String keys, Long values) is mapped to a String
 * and written to eh-out. Records fail four ways:
 *
 * <ul>
 *   <li>a value that is not 8 bytes cannot be deserialized (LongDeserializer's
 *       SerializationException): the deserialization handler;
 *   <li>{@link #value} throws an IllegalStateException for v ≡ 3 (mod 7): the processing handler;
 *   <li>for v ≡ 4 (mod 13) it returns a value {@link Refusing} will not serialize: the production
 *       handler's serialization error;
 *   <li>for v ≡ 5 (mod 11) it returns a value of {@link #BIG_VALUE_BYTES} bytes, more than the
 *       test gives eh-out (max.message.bytes), and incompressible: the broker rejects it, the
 *       production handler gets a RecordTooLargeException.
 * </ul>
 *
 * <p>The application is configured by the test with the built-in LogAndContinueExceptionHandler and
 * LogAndContinueProcessingExceptionHandler, {@link ContinueProductionHandler} and
 * {@code errors.dead.letter.queue.topic.name}, so every failed record is dropped and written to the
 * dead-letter topic as the built-in handlers write it.
 */
public final class HandlerTopologies {
    public static final String EH_IN = "eh-in";
    public static final String EH_OUT = "eh-out";
    public static final String EH_DLQ = "eh-dlq";
    public static final int BIG_VALUE_BYTES = 100_000;
    private static final String NOISE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private HandlerTopologies() {}

    /** The mapping of the topology, failing as the class comment says. */
    static String value(long v) {
        if (Math.floorMod(v, 7) == 3) {
            throw new IllegalStateException("value " + v + " is 3 modulo 7");
        }
        if (Math.floorMod(v, 13) == 4) {
            return "unserializable-" + v;
        }
        if (Math.floorMod(v, 11) == 5) {
            return "big-" + v + "-" + noise(v, BIG_VALUE_BYTES);
        }
        return "v" + v;
    }

    /**
     * n pseudo-random characters (xorshift64 seeded from v, 6 bits a character), so that the
     * value does not compress below the topic's limit whatever the producer's codec.
     */
    static String noise(long v, int n) {
        StringBuilder sb = new StringBuilder(n);
        long x = v * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            sb.append(NOISE.charAt((int) (x >>> 58)));
        }
        return sb.toString();
    }

    /** A String serializer that refuses values starting with "unserializable-". */
    public static final class Refusing implements Serializer<String> {
        @Override
        public byte[] serialize(String topic, String data) {
            if (data == null) {
                return null;
            }
            if (data.startsWith("unserializable-")) {
                throw new SerializationException("refusing to serialize " + data);
            }
            return data.getBytes(StandardCharsets.UTF_8);
        }
    }

    public static void handlers(StreamsBuilder b, String prefix) {
        Serde<String> refusing = Serdes.serdeFrom(new Refusing(), new StringDeserializer());
        b.stream(prefix + EH_IN, Consumed.with(Serdes.String(), Serdes.Long()))
                .mapValues(HandlerTopologies::value)
                .to(prefix + EH_OUT, Produced.with(Serdes.String(), refusing));
    }

    /**
     * A production handler that continues and writes the dead letter the built-in handlers write
     * (Kafka Streams has no built-in one that continues): the input record's raw key and value
     * with the exception in {@code __streams.errors.*} headers.
     */
    public static final class ContinueProductionHandler implements ProductionExceptionHandler {
        private String deadLetterTopic;

        @Override
        public void configure(Map<String, ?> configs) {
            Object t = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
            deadLetterTopic = t == null ? null : String.valueOf(t);
        }

        private Response resume(ErrorHandlerContext context, Exception exception) {
            return Response.resume(ExceptionHandlerUtils.maybeBuildDeadLetterQueueRecords(deadLetterTopic,
                    context.sourceRawKey(), context.sourceRawValue(), context, exception));
        }

        @Override
        public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                Exception exception) {
            return resume(context, exception);
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record,
                Exception exception, SerializationExceptionOrigin origin) {
            return resume(context, exception);
        }
    }
}
