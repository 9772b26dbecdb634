package io.muster.config;

/** One {@code key = value} line of a rabbitmq.conf-style file (or one environment override). */
record ConfEntry(String key, String value, String origin) {}
