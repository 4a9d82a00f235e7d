// The public surface of Recur: named exports only.
import './autograd/backward.js';

export { backward, backwardMany } from './autograd/backward.js';
export { isGradEnabled, noGrad } from './autograd/grad-mode.js';
export { type GradcheckOptions, type GradcheckReport, gradcheck } from './autograd/gradcheck.js';
export type { CellOptions } from './cells/cell-base.js';
export { GRUCell, gruStep } from './cells/gru-cell.js';
export { LSTMCell, type LSTMState, lstmStep } from './cells/lstm-cell.js';
export { type HiddenState, RNNCell, type RNNCellOptions, rnnStep } from './cells/rnn-cell.js';
export {
  type BatchOptions,
  type BatchPlan,
  batches,
  batchIndices,
  type Dataset,
  Subset,
} from './data/batches.js';
export { CharVocab, type CharVocabJSON, type CharVocabOptions } from './data/char-vocab.js';
export { LMStream, type LMStreamOptions, type LMWindow } from './data/lm-stream.js';
export { type PaddedBatch, type PadOptions, padBatch } from './data/pad.js';
export { type PairBatch, PairDataset } from './data/pair-dataset.js';
export { type SequenceBatch, SequenceDataset } from './data/sequence-dataset.js';
export { splitFraction, splitIds, splitText } from './data/split.js';
export { Normalizer, TimeSeriesWindows } from './data/time-series.js';
export { tokenize, WordVocab, type WordVocabJSON, type WordVocabOptions } from './data/word-vocab.js';
export {
  type BackendName,
  backendAvailable,
  getBackend,
  setBackend,
  withBackend,
} from './kernels/registry.js';
export {
  getThreads,
  loadWasmKernels,
  setThreads,
  type ThreadCount,
  type WasmBuild,
  type WasmLoadOptions,
  wasmInfo,
} from './kernels/wasm/index.js';
export { fusedSequence } from './layers/fused-sequence.js';
export { initForgetBias } from './layers/generic-init.js';
export { genericSequence } from './layers/generic-sequence.js';
export { GRU } from './layers/gru.js';
export type { GRUOptions, LSTMOptions, RecurrentOptions, RNNOptions } from './layers/layer-options.js';
export { LSTM } from './layers/lstm.js';
export {
  type OnnxAttributes,
  type OnnxInputs,
  type OnnxNode,
  type OnnxOutputs,
  onnx,
  type RunNodeOptions,
  runNode,
} from './layers/onnx-node.js';
export { RNN } from './layers/rnn.js';
export { type RecurrentForwardOptions, type RecurrentOutput, RNNBase } from './layers/rnn-base.js';
export type {
  ActivationSpec,
  SequenceMode,
  SequenceOptions,
  SequenceParams,
  SequenceResult,
} from './layers/sequence-types.js';
export {
  Attention,
  type AttentionKind,
  type AttentionMemory,
  type AttentionOptions,
  paddingMask,
} from './models/attention.js';
export {
  type BeamOptions,
  beamSearch,
  type DecodeOptions,
  greedyDecode,
  type Hypothesis,
  type StepDecoder,
} from './models/beam-search.js';
export { BowLogReg, type BowLogRegConfig, bagOfWords } from './models/bow-logreg.js';
export { CharLM, type CharLMConfig, type CharLMState } from './models/char-lm.js';
export {
  type ClassificationReport,
  classificationReport,
  confusionMatrix,
  formatReport,
} from './models/classification-metrics.js';
export { SequenceClassifier } from './models/classifier.js';
export { balancedClassWeights, type ClassifierConfig, type PoolingKind } from './models/classifier-config.js';
export { ErrorRates, editDistance } from './models/edit-distance.js';
export { EchoStateNetwork, type EsnConfig } from './models/esn.js';
export {
  EsnForecaster,
  type EsnForecasterConfig,
} from './models/esn-forecaster.js';
export {
  type ForecastSeries,
  mape,
  persistenceForecast,
  rmse,
  seasonalNaiveForecast,
} from './models/forecast-common.js';
export { Forecaster } from './models/forecaster.js';
export type { ForecasterConfig, ForecastKind } from './models/forecaster-config.js';
export { type GradFlow, gradientFlow } from './models/gradflow.js';
export { drawId, type SampleOptions, sample } from './models/sample.js';
export { type DecoderState, type Encoded, Seq2Seq, type Seq2SeqForwardOptions } from './models/seq2seq.js';
export { type Seq2SeqConfig, seq2seqConfig } from './models/seq2seq-config.js';
export { SequenceTagger, type TaggerConfig } from './models/tagger.js';
export { Dropout } from './nn/dropout.js';
export { Embedding } from './nn/embedding.js';
export {
  calculateFanInAndFanOut,
  calculateGain,
  constant_,
  kaimingNormal_,
  kaimingUniform_,
  normal_,
  ones_,
  orthogonal_,
  orthogonalBlocks_,
  uniform_,
  xavierNormal_,
  xavierUniform_,
  zeros_,
} from './nn/init.js';
export { Linear, type LinearOptions } from './nn/linear.js';
export { Module } from './nn/module.js';
export { toDType } from './ops/cast.js';
export { dropout } from './ops/dropout.js';
export { add, div, mul, neg, sub } from './ops/elementwise.js';
export { embedding } from './ops/embedding.js';
export { concat, indexSelect, narrow, select, slice, split, stack } from './ops/join.js';
export { binaryCrossEntropyWithLogits, type CrossEntropyOptions, crossEntropy, mse } from './ops/loss.js';
export { type MatmulOptions, matmul } from './ops/matmul.js';
export { mean, type ReduceOptions, sum } from './ops/reduce.js';
export { permute, reshape, transpose } from './ops/shape.js';
export { logSoftmax, softmax } from './ops/softmax.js';
export { abs, clamp, exp, log, pow, relu, sigmoid, sqrt, tanh } from './ops/unary.js';
export { maskedFill, where } from './ops/where.js';
export { rand, randn, uniform } from './tensor/random.js';
export { keep, tidy } from './tensor/scope.js';
export {
  type DType,
  fromTyped,
  full,
  type NestedArray,
  ones,
  Tensor,
  tensor,
  zeros,
  zerosLike,
} from './tensor/tensor.js';
export {
  EarlyStopping,
  type EarlyStoppingOptions,
  type FitCallback,
  type FitEvent,
  formatEvent,
  jsonLinesLogger,
  type NanPolicy,
  progressLogger,
  type StopReason,
} from './train/callbacks.js';
export { type ClipGradNormOptions, clipGradNorm, clipGradValue } from './train/clip.js';
export { fit } from './train/fit.js';
export type {
  CheckpointHook,
  EvalResult,
  FitContext,
  FitOptimizer,
  FitOptions,
  FitResult,
  FitScheduler,
  LossOutput,
} from './train/fit-options.js';
export type { FitProgress, FitSnapshot, ResumeState } from './train/fit-state.js';
export { LRScheduler } from './train/lr-scheduler.js';
export {
  Accuracy,
  accuracy,
  bitsPerToken,
  ExponentialMean,
  perplexity,
  RunningMean,
  Throughput,
} from './train/metrics.js';
export { type Anomaly, allFinite, detectAnomaly, findNonFiniteGradient } from './train/nan-guard.js';
export { Adagrad, type AdagradOptions } from './train/optim/adagrad.js';
export { Adam, type AdamOptions, AdamW } from './train/optim/adam.js';
export { MultiOptimizer, type MultiOptimizerStateDict } from './train/optim/multi.js';
export {
  type BaseOptions,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroupSpec,
  type Params,
} from './train/optim/optimizer.js';
export { RMSprop, type RMSpropOptions } from './train/optim/rmsprop.js';
export { SGD, type SGDOptions } from './train/optim/sgd.js';
export { SparseAdam, type SparseAdamOptions } from './train/optim/sparse-adam.js';
export { ReduceLROnPlateau } from './train/reduce-lr-on-plateau.js';
export { RTRL } from './train/rtrl.js';
export type { RTRLMode, RTRLOptions, RTRLParams } from './train/rtrl-params.js';
export { CosineAnnealingLR, ExponentialLR, LinearWarmup, StepLR } from './train/schedules.js';
export {
  BackendError,
  CheckpointError,
  ConfigError,
  DataError,
  DTypeError,
  NumericError,
  RecurError,
  ShapeError,
} from './util/errors.js';
export { defaultRng, manualSeed, Rng } from './util/rng.js';
