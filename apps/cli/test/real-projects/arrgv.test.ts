// arrgv@1.0.2 (ava 0.25 under nyc, after eslint; npm): detect, run on HEAD, a planted regression named exactly by compare, and a goal run to
// ready with red → green evidence (suite.ts; the project's pins in test-fixtures/corpus/projects.json).
import { realProjectSuite } from "./suite.js";

realProjectSuite("arrgv");
