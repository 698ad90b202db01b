// Device-test counters for /metrics (Prometheus text), kept apart from the
// probe metrics: echoes, bytes, dropped messages, tests by how they ended.
export class DeviceCounters {
  #echoed = 0;
  #bytes = 0;
  #dropped = 0;
  #running = 0;
  readonly #ended = new Map<string, number>();
  #refused = 0;

  echoed(bytes: number): void {
    this.#echoed++;
    this.#bytes += bytes;
  }
  dropped(): void {
    this.#dropped++;
  }
  started(): void {
    this.#running++;
  }
  refused(): void {
    this.#refused++;
  }
  ended(how: string): void {
    this.#running--;
    this.#ended.set(how, (this.#ended.get(how) ?? 0) + 1);
  }
  get running(): number {
    return this.#running;
  }

  render(): string {
    const lines = [
      "# HELP pla_device_tests_running Device tests running now.",
      "# TYPE pla_device_tests_running gauge",
      `pla_device_tests_running ${this.#running}`,
      "# HELP pla_device_tests_ended_total Device tests ended, by status.",
      "# TYPE pla_device_tests_ended_total counter",
      ...[...this.#ended].map(([s, n]) =>
        `pla_device_tests_ended_total{status="${s}"} ${n}`
      ),
      "# HELP pla_device_tests_refused_total Device tests refused by the device caps.",
      "# TYPE pla_device_tests_refused_total counter",
      `pla_device_tests_refused_total ${this.#refused}`,
      "# HELP pla_device_echoes_total Probe messages echoed to device test clients.",
      "# TYPE pla_device_echoes_total counter",
      `pla_device_echoes_total ${this.#echoed}`,
      "# HELP pla_device_echo_bytes_total Bytes echoed to device test clients.",
      "# TYPE pla_device_echo_bytes_total counter",
      `pla_device_echo_bytes_total ${this.#bytes}`,
      "# HELP pla_device_dropped_messages_total Data-channel messages dropped unanswered (malformed, oversized, over rate or quota).",
      "# TYPE pla_device_dropped_messages_total counter",
      `pla_device_dropped_messages_total ${this.#dropped}`,
    ];
    return lines.join("\n") + "\n";
  }
}
