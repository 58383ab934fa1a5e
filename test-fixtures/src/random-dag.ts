/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same numbers. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type DagNode = { id: string; dependencies: string[]; reads: string[]; writes: string[]; priority: number };

export type RandomDagOptions = {
  seed: number;
  size: number;
  /** Each node depends on 0..maxDependencies earlier nodes (default 3). */
  maxDependencies?: number;
  /** ...chosen among the `window` nodes just before it (default 20). */
  window?: number;
  /** When given, reads and writes are drawn from these paths (so tasks conflict); else each node writes its own file. */
  paths?: readonly string[];
};

/**
 * A random DAG in topological order (dependencies point to earlier nodes),
 * with ids `t000`, `t001`, ... so id order is creation order.
 */
export function randomDag(options: RandomDagOptions): DagNode[] {
  const random = seededRandom(options.seed);
  const maxDeps = options.maxDependencies ?? 3;
  const window = options.window ?? 20;
  const width = String(Math.max(0, options.size - 1)).length;
  const nodes: DagNode[] = [];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  for (let i = 0; i < options.size; i++) {
    const id = `t${String(i).padStart(Math.max(3, width), "0")}`;
    const dependencies = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(random() * (maxDeps + 1));
    for (let k = 0; k < count; k++) dependencies.add((nodes[Math.max(0, i - 1 - Math.floor(random() * Math.min(window, i)))] as DagNode).id);
    const paths = options.paths;
    const reads = paths === undefined ? [] : [...new Set(Array.from({ length: Math.floor(random() * 2) }, () => pick(paths)))];
    const writes = paths === undefined ? [`src/${id}.ts`] : [...new Set(Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(paths)))];
    nodes.push({ id, dependencies: [...dependencies], reads, writes, priority: 0 });
  }
  return nodes;
}
