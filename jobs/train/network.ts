// The purchase-probability network: a small dense net on log-scaled, standardized SQL features, trained with
// class weights (few customers buy in any month), early stopping on the validation window and a fixed seed,
// then calibrated on the validation window (Platt scaling) so its probabilities mean what they say.
import * as tf from '@tensorflow/tfjs';
import { transformInput } from './inputs.ts';
import { averagePrecision } from './metrics.ts';

export interface Scaling {
  /**
   * Mean and standard deviation of each input after transformInput (log1p or logit), for standardizing: one
   * entry per input, so their length is the input count everything after fitScaling works with.
   */
  mean: number[];
  std: number[];
}

export interface Calibration {
  slope: number;
  intercept: number;
}

export interface NetworkOptions {
  seed: number;
  hiddenUnits?: number[];
  learningRate?: number;
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without a better validation score before stopping. */
  patience?: number;
  /** Smallest gain in validation average precision that counts as better (smaller gains are noise). */
  minImprovement?: number;
  /** How much more a buyer counts than a non-buyer: 'balanced' (equal total weight), 'sqrt' (the square root of that) or 'none'. */
  classWeight?: 'balanced' | 'sqrt' | 'none';
  onEpoch?: (epoch: number, validationScore: number, model: tf.LayersModel) => void;
}

export interface Dataset {
  /** Row-major model inputs (the same count per row, see inputs.ts). */
  features: Float64Array;
  labels: Uint8Array;
}

/** mulberry32: a tiny seeded generator, so shuffles are the same on every run and backend. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fitScaling(features: Float64Array, inputCount: number): Scaling {
  const rows = features.length / inputCount;
  const mean = new Array<number>(inputCount).fill(0);
  const square = new Array<number>(inputCount).fill(0);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < inputCount; j++) {
      const v = transformInput(j, inputCount, features[i * inputCount + j]);
      mean[j] += v;
      square[j] += v * v;
    }
  }
  const std = mean.map((sum, j) => {
    const m = sum / rows;
    const variance = square[j] / rows - m * m;
    // A constant feature (e.g. items_per_order = 1 in CDNOW) must not divide by zero.
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { mean: mean.map((sum) => sum / rows), std };
}

export function scale(features: Float64Array, scaling: Scaling): Float32Array {
  const inputCount = scaling.mean.length;
  const out = new Float32Array(features.length);
  for (let k = 0; k < features.length; k++) {
    const j = k % inputCount;
    out[k] = (transformInput(j, inputCount, features[k]) - scaling.mean[j]) / scaling.std[j];
  }
  return out;
}

export function buildNetwork(seed: number, inputCount: number, hiddenUnits: number[] = [32, 16]): tf.Sequential {
  const model = tf.sequential();
  hiddenUnits.forEach((units, k) => {
    model.add(tf.layers.dense({
      units,
      activation: 'relu',
      inputShape: k === 0 ? [inputCount] : undefined,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + k }),
      biasInitializer: 'zeros',
    }));
  });
  // The output is a logit; the loss applies the sigmoid in its numerically stable form.
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hiddenUnits.length }) }));
  return model;
}

/** Raw (uncalibrated) logits for scaled rows, in batches so a million rows never sit in one tensor. */
export function predictLogits(model: tf.LayersModel, scaled: Float32Array, batchSize = 16384): Float32Array {
  const inputCount = model.inputs[0].shape[1] as number;
  const rows = scaled.length / inputCount;
  const out = new Float32Array(rows);
  for (let start = 0; start < rows; start += batchSize) {
    const end = Math.min(rows, start + batchSize);
    const logits = tf.tidy(() => {
      const x = tf.tensor2d(scaled.subarray(start * inputCount, end * inputCount), [end - start, inputCount]);
      // predict() would otherwise cut the batch into its default of 32 rows, one kernel call chain each: at a
      // million customers that was 12 of the 31 s of scoring. Rows are independent, so the result is the same.
      return (model.predict(x, { batchSize: end - start }) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(logits, start);
  }
  return out;
}

export function trainNetwork(train: Dataset, validation: Dataset, scaling: Scaling, options: NetworkOptions): { model: tf.Sequential; epochs: number; bestEpoch: number } {
  const { seed, learningRate = 0.005, batchSize = 1024, maxEpochs = 20, patience = 6, minImprovement = 0 } = options;
  const inputCount = scaling.mean.length;
  const model = buildNetwork(seed, inputCount, options.hiddenUnits);
  const x = scale(train.features, scaling);
  const validationX = scale(validation.features, scaling);
  const rows = train.labels.length;
  const positives = train.labels.reduce((n, y) => n + y, 0);
  if (positives === 0 || positives === rows) throw new Error('the training windows need both buyers and non-buyers to learn from');
  const imbalance = (rows - positives) / positives;
  const weightPositive = options.classWeight === 'none' ? 1 : options.classWeight === 'sqrt' ? Math.sqrt(imbalance) : imbalance;
  const weightNegative = 1;
  const optimizer = tf.train.adam(learningRate);
  const random = seededRandom(seed);
  const order = Array.from({ length: rows }, (_, i) => i);
  const batchX = new Float32Array(batchSize * inputCount);
  const batchY = new Float32Array(batchSize);
  const batchW = new Float32Array(batchSize);

  let best = { score: -Infinity, epoch: 0, weights: model.getWeights().map((w) => w.clone()) };
  let epoch = 0;
  for (epoch = 1; epoch <= maxEpochs; epoch++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < rows; start += batchSize) {
      const size = Math.min(batchSize, rows - start);
      for (let k = 0; k < size; k++) {
        const row = order[start + k];
        batchX.set(x.subarray(row * inputCount, (row + 1) * inputCount), k * inputCount);
        batchY[k] = train.labels[row];
        batchW[k] = train.labels[row] ? weightPositive : weightNegative;
      }
      tf.tidy(() => {
        const xs = tf.tensor2d(batchX.subarray(0, size * inputCount), [size, inputCount]);
        const ys = tf.tensor2d(batchY.subarray(0, size), [size, 1]);
        const ws = tf.tensor2d(batchW.subarray(0, size), [size, 1]);
        optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor, ws) as tf.Scalar);
      });
    }
    // Early stopping on what the product promises: ranking buyers first (average precision) on the window
    // just before the holdout.
    const score = averagePrecision(predictLogits(model, validationX), validation.labels);
    options.onEpoch?.(epoch, score, model);
    if (score > best.score + minImprovement) {
      best.weights.forEach((w) => w.dispose());
      best = { score, epoch, weights: model.getWeights().map((w) => w.clone()) };
    } else if (epoch - best.epoch >= patience) {
      break;
    }
  }
  model.setWeights(best.weights);
  best.weights.forEach((w) => w.dispose());
  optimizer.dispose();
  return { model, epochs: Math.min(epoch, maxEpochs), bestEpoch: best.epoch };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Platt scaling: p = σ(slope · logit + intercept), fitted by Newton's method with step halving (a plain Newton
 * step can overshoot on separable-looking data) on the validation window. Also fits the recency baseline.
 */
export function fitCalibration(logits: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  const negativeLogLikelihood = (slope: number, intercept: number) => {
    let sum = 0;
    for (let k = 0; k < labels.length; k++) {
      const z = slope * logits[k] + intercept;
      // log(1 + e^z) − y·z, written so large |z| does not overflow.
      sum += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - (labels[k] ? z : 0);
    }
    return sum;
  };
  let slope = 1;
  let intercept = 0;
  let current = negativeLogLikelihood(slope, intercept);
  for (let iteration = 0; iteration < 100; iteration++) {
    let gs = 0, gi = 0, hss = 0, hsi = 0, hii = 0;
    for (let k = 0; k < labels.length; k++) {
      const p = sigmoid(slope * logits[k] + intercept);
      const residual = p - labels[k];
      const w = Math.max(p * (1 - p), 1e-12);
      gs += residual * logits[k];
      gi += residual;
      hss += w * logits[k] * logits[k];
      hsi += w * logits[k];
      hii += w;
    }
    const determinant = hss * hii - hsi * hsi;
    if (Math.abs(determinant) < 1e-12) break;
    const ds = (hii * gs - hsi * gi) / determinant;
    const di = (hss * gi - hsi * gs) / determinant;
    let step = 1;
    let next = negativeLogLikelihood(slope - ds, intercept - di);
    while (!(next <= current) && step > 1e-6) {
      step /= 2;
      next = negativeLogLikelihood(slope - step * ds, intercept - step * di);
    }
    if (!(next <= current)) break;
    slope -= step * ds;
    intercept -= step * di;
    const improvement = current - next;
    current = next;
    if (improvement < 1e-9 * (1 + Math.abs(current))) break;
  }
  return { slope, intercept };
}

export function calibrate(logits: ArrayLike<number>, calibration: Calibration): Float64Array {
  const out = new Float64Array(logits.length);
  for (let k = 0; k < logits.length; k++) out[k] = sigmoid(calibration.slope * logits[k] + calibration.intercept);
  return out;
}

export interface NetworkArtifact {
  /** The features the model was trained on, in order, then the derived inputs (inputs.ts). */
  input_names: readonly string[];
  topology: object;
  weights: { shape: number[]; values: number[] }[];
  scaling: Scaling;
  calibration: Calibration;
}

export function exportNetwork(model: tf.LayersModel, inputNames: readonly string[], scaling: Scaling, calibration: Calibration): NetworkArtifact {
  return {
    input_names: inputNames,
    topology: model.toJSON(null, false) as object,
    weights: model.getWeights().map((w) => ({ shape: w.shape, values: Array.from(w.dataSync()) })),
    scaling,
    calibration,
  };
}

/** Rebuilds a stored model (e.g. from salesdash_internal.model_runs.artifact) without any files. */
export async function importNetwork(artifact: NetworkArtifact): Promise<tf.LayersModel> {
  const model = await tf.models.modelFromJSON({ modelTopology: artifact.topology } as tf.io.ModelJSON);
  model.setWeights(artifact.weights.map((w) => tf.tensor(w.values, w.shape)));
  return model;
}
