// Starts the embedded test cluster (if needed) and prints its admin URL, for running single test files:
//   TEST_DATABASE_URL=$(npx tsx scripts/test-db-url.ts) npx tap test/some.test.ts
import { start, testCluster } from '../db/embedded.ts';
console.log(await start(testCluster()));
