// Helpers for tests and benchmarks of schedulers: a virtual clock and seeded random DAGs.
export { createVirtualClock } from "./virtual-clock.js";
export { randomDag } from "./random-dag.js";
