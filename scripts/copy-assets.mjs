// Copies what tsc does not: the console's stylesheet, next to the compiled console code.
import { cpSync } from "node:fs";

cpSync(
  new URL("../src/console/assets", import.meta.url),
  new URL("../dist/console/assets", import.meta.url),
  {
    recursive: true,
  },
);
