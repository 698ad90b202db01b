// Device test presets and their pass/fail thresholds, without zod: the page
// bundles this (islands must not carry the schemas).

export interface DevicePreset {
  id: string;
  name: string;
  /** Message bytes, packets per second, seconds, acceptable delay in ms. */
  size: number;
  rate: number;
  duration_s: number;
  delay_ms: number;
  /** A verdict passes when every figure is at most its threshold. */
  max_loss_pct: number;
  max_p95_rtt_ms: number;
  max_jitter_ms: number;
}

/** As packetlosstest.com's: VoIP, video call, online game, game streaming. */
export const DEVICE_PRESETS: readonly DevicePreset[] = [
  {
    id: "voip",
    name: "VoIP call",
    size: 160,
    rate: 50,
    duration_s: 20,
    delay_ms: 200,
    max_loss_pct: 1,
    max_p95_rtt_ms: 150,
    max_jitter_ms: 30,
  },
  {
    id: "video",
    name: "Video call",
    size: 1000,
    rate: 100,
    duration_s: 20,
    delay_ms: 200,
    max_loss_pct: 1,
    max_p95_rtt_ms: 200,
    max_jitter_ms: 30,
  },
  {
    id: "game",
    name: "Online game",
    size: 64,
    rate: 64,
    duration_s: 20,
    delay_ms: 100,
    max_loss_pct: 0.5,
    max_p95_rtt_ms: 80,
    max_jitter_ms: 15,
  },
  {
    id: "streaming",
    name: "Game streaming",
    size: 1100,
    rate: 250,
    duration_s: 20,
    delay_ms: 100,
    max_loss_pct: 0.5,
    max_p95_rtt_ms: 60,
    max_jitter_ms: 10,
  },
];

export const DEVICE_PRESET_IDS = DEVICE_PRESETS.map((p) => p.id) as [
  string,
  ...string[],
];

export function presetById(id: string): DevicePreset | undefined {
  return DEVICE_PRESETS.find((p) => p.id === id);
}
