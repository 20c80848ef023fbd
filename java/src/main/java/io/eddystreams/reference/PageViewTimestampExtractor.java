package io.eddystreams.reference;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event time of a page view = its JSON field {@code ts} (epoch ms).
 *
 * <p>A record whose value is not a JSON object, or lacks an integer {@code ts}, or lacks a
 * string {@code page}, gets timestamp -1: Kafka Streams then skips it (WARN log "Skipping
 * record due to negative extracted timestamp" and the task's dropped-records metric). A
 * parseable but negative {@code ts} is skipped the same way.
 */
public final class PageViewTimestampExtractor implements TimestampExtractor {
    private static final Logger LOG = LoggerFactory.getLogger(PageViewTimestampExtractor.class);

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        Object v = record.value();
        JsonNode obj = v instanceof String ? Json.object((String) v) : null;
        if (obj == null || !Json.isLong(obj, "ts") || Json.string(obj, "page") == null) {
            LOG.warn("skipping invalid page view topic={} partition={} offset={}: value is not "
                            + "a JSON object with string \"page\" and integer \"ts\"",
                    record.topic(), record.partition(), record.offset());
            return -1L;
        }
        return Json.longValue(obj, "ts");
    }

    /** The {@code page} field of a value that passed {@link #extract}. */
    static String page(String value) {
        JsonNode obj = Json.object(value);
        return obj == null ? null : Json.string(obj, "page");
    }
}
