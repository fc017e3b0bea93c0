// Child process for backends.test.ts: a backend is chosen once per process, so each backend trains in its own.
//   SALESDASH_TF_BACKEND=cpu node --import tsx test/ml/train-with-backend.ts <database url>
import { connect } from '../../db/connection.ts';
import { evaluateTuningFold } from '../../jobs/train/train.ts';

const sql = connect(process.argv[2]!, { max: 4 });
try {
  // Fold 0 is train's own fitting and evaluation, without publishing: whether this small shop's model would
  // be published (it must beat recency) is not what this compares.
  const metrics = await evaluateTuningFold(sql, 0, { seed: 7, trainingWindows: 4, network: { maxEpochs: 8, patience: 3 } });
  console.log(JSON.stringify(metrics));
} finally {
  await sql.end({ timeout: 5 });
}
