// The device pages' bundle (/device and a device test's /tests/{id}): kept
// apart so the dashboard's bundle does not carry WebRTC and its charts.
import DeviceTest from "../DeviceTest.tsx";
import DeviceView from "../DeviceView.tsx";
import ThemeToggle from "../ThemeToggle.tsx";
import { hydrateIslands } from "./hydrate.ts";

hydrateIslands({ DeviceTest, DeviceView, ThemeToggle });
