// Helpers for tests and benchmarks of schedulers: a virtual clock and seeded random DAGs.
export { createVirtualClock, type VirtualClock } from "./virtual-clock.js";
export { type DagNode, type RandomDagOptions, randomDag, seededRandom } from "./random-dag.js";
