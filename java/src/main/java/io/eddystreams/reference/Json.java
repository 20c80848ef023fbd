package io.eddystreams.reference;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Strict JSON input parsing shared by the topologies. A value is accepted only if it is a
 * single JSON object (no trailing tokens) and each required field has the required type:
 * strings must be JSON strings, integers must be JSON integers that fit in a signed 64-bit
 * long (so {@code 1250.0}, {@code 1e3} and {@code "1250"} are rejected, as they are when
 * Go decodes into an {@code int64}). Failures return {@code null}; callers skip and log.
 */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    /** Parses {@code text} as a JSON object, or returns null. */
    static JsonNode object(String text) {
        if (text == null) {
            return null;
        }
        try {
            JsonNode n = MAPPER.readTree(text);
            return n != null && n.isObject() ? n : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** The string field {@code name}, or null if absent or not a JSON string. */
    static String string(JsonNode obj, String name) {
        JsonNode f = obj.get(name);
        return f != null && f.isTextual() ? f.textValue() : null;
    }

    /** True if {@code name} is a JSON integer that fits a long. */
    static boolean isLong(JsonNode obj, String name) {
        JsonNode f = obj.get(name);
        return f != null && f.isIntegralNumber() && f.canConvertToLong();
    }

    static long longValue(JsonNode obj, String name) {
        return obj.get(name).longValue();
    }
}
