using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using TorchSharp;
using VisionLab.Data;
using VisionLab.Data.Transforms;
using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>
/// Explaining never leaves a number for the garbage collector to free. TorchSharp hands the numbers in
/// tensor operations to libtorch as Scalars that only a finalizer frees, and does not keep them alive
/// during the native call, so a collection started by another thread inside the call lets the
/// finalizer free the number while libtorch reads it (see <c>HeldScalars</c>): <c>explain
/// --evaluate</c> once crashed with "Unknown scalar type" after twenty minutes.
/// <para>
/// The race itself is rare, so the test checks its cause, which is certain: the runtime reports every
/// object its finalizer thread finalises, and not one may be a Scalar. The explainer runs every method,
/// on both kinds of target layer, for two classes, with every faithfulness measure and the random
/// baseline, on LeNet-5 (whose own forward pass gives libtorch no number, so any Scalar is the explain
/// code's), again and again while a thread collects garbage without pause, as the progress bar's
/// thread did; the figures must not change either.
/// </para>
/// </summary>
public sealed class GarbageCollectionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>How long the explanations run under collections. A crash in that time is luck (about
    /// one run in three before the fix); the count of finalised Scalars fails every time.</summary>
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    [Fact]
    public void Explaining_leaves_no_scalar_to_the_finalizer_and_gives_the_same_figures_while_another_thread_collects_garbage()
    {
        // One libtorch thread: LeNet-5 at 28×28 is fastest so, and collections then pause no thread team.
        int threads = get_num_threads();
        TorchRuntime.SetThreads(1);
        try
        {
            ExplainUnderCollections();
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private void ExplainUnderCollections()
    {
        string path = folder.File("item.png");
        ExplainImages.WriteRgbPng(path, 36, 32);
        TorchRuntime.Seed(3);
        using var model = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        var transform = new EvalTransform(1, 28, 28, [0.2860f], [0.3530f], ResizeShorter: 32);
        var classes = ImageClassificationData.FashionMnistClasses;
        IExplanationMethod[] methods =
        [
            new GradCam(), new GradCamPlusPlus(), new XGradCam(), new HiResCam(), new LayerCam(), new EigenCam(),
            new ScoreCam(batchSize: 8), new AblationCam(batchSize: 8), new Saliency(), new SmoothGrad(samples: 4, batchSize: 2),
            new IntegratedGradients(steps: 4, batchSize: 2), new GuidedBackpropagation(), new Occlusion(patch: 7, stride: 7),
        ];
        // Both ways a target layer is reached: the backbone's output, and a forward hook on a named layer.
        var steps = new (Explainer Explainer, IExplanationMethod[] Methods)[]
        {
            (new Explainer(model, transform, classes), methods),
            (new Explainer(model, transform, classes, layer: "conv2"), methods.Where(m => m.UsesTargetLayer).ToArray()),
        };
        var options = new FaithfulnessOptions { Steps = 4, RoadPercentages = [30, 70], BatchSize = 4 };
        List<double> Figures(int step)
        {
            var explained = steps[step].Explainer.Explain(path, steps[step].Methods, ClassSelection.Top(2), options);
            using var picture = explained.Picture;
            return [.. explained.Explanations.SelectMany(e => e.Map.Values.Select(v => (double)v).Concat(Numbers(e.Faithfulness!))),
                    .. explained.RandomBaseline!.SelectMany(Numbers)];
        }

        using var finalised = new FinalisedScalars();
        finalised.Reset();
        // Undisturbed first: every figure is deterministic, so any difference later is a number read after it was freed.
        var expected = Enumerable.Range(0, steps.Length).Select(Figures).ToList();

        int rounds = 0;
        var watch = Stopwatch.StartNew();
        using (var collector = new GarbageCollector())
        {
            while (watch.Elapsed < Duration)
            {
                for (int step = 0; step < steps.Length; step++)
                    Assert.True(expected[step].SequenceEqual(Figures(step)), $"the explanations on {steps[step].Explainer.Layer.DisplayName} changed in round {rounds}");
                rounds++;
            }
            output.WriteLine($"{rounds} rounds in {watch.Elapsed.TotalSeconds:F1} s, {collector.Collections} collections");
            Assert.True(collector.Collections >= rounds, $"only {collector.Collections} collections in {rounds} rounds");
        }
        Assert.True(rounds >= 1, $"not one round in {Duration.TotalSeconds} s");

        long count = finalised.Count();
        output.WriteLine($"{count} Scalars finalised");
        Assert.True(count == 0, $"{count} TorchSharp Scalars were left to the finalizer, which may free them while libtorch reads them");
    }

    /// <summary>Every faithfulness figure, as one list of numbers.</summary>
    private static IEnumerable<double> Numbers(FaithfulnessScores scores) =>
    [
        scores.Probability, .. scores.Deletion.Probabilities, .. scores.Insertion.Probabilities,
        .. scores.MostRelevantFirst.Probabilities, .. scores.LeastRelevantFirst.Probabilities, scores.MaskedProbability,
    ];

    /// <summary>A thread that collects garbage (generation 0, where fresh Scalars are) and runs the finalizers, again and again, until disposed.</summary>
    private sealed class GarbageCollector : IDisposable
    {
        private readonly Thread thread;
        private volatile bool stopping;
        private long collections;

        public GarbageCollector()
        {
            thread = new Thread(() =>
            {
                while (!stopping)
                {
                    GC.Collect(0);
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref collections);
                }
            }) { IsBackground = true, Name = "garbage collector" };
            thread.Start();
        }

        public long Collections => Interlocked.Read(ref collections);

        public void Dispose()
        {
            stopping = true;
            thread.Join();
        }
    }

    /// <summary>
    /// Counts the TorchSharp Scalars the finalizer thread finalises, from the runtime's own
    /// FinalizeObject events (GC keyword, verbose), which name each object's type by its method table.
    /// Events arrive late, on a thread of their own: a count is taken after everything finalisable
    /// has been finalised and a marker object's event, finalised last, has come through.
    /// </summary>
    private sealed class FinalisedScalars : EventListener
    {
        private const int FinalizeObjectEvent = 29;
        private const long GcKeyword = 0x1;
        private static readonly nint ScalarType = typeof(Scalar).TypeHandle.Value;
        private static readonly nint MarkerType = typeof(Marker).TypeHandle.Value;

        private long scalars;
        private long markers;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)GcKeyword);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventId != FinalizeObjectEvent || e.Payload is null || e.PayloadNames is null) return;
            nint type = e.Payload[e.PayloadNames.IndexOf("TypeID")] switch
            {
                nint pointer => pointer,
                ulong value => (nint)value,
                long value => (nint)value,
                _ => 0,
            };
            if (type == ScalarType) Interlocked.Increment(ref scalars);
            else if (type == MarkerType) Interlocked.Increment(ref markers);
        }

        /// <summary>Forgets the Scalars finalised so far (earlier tests' and the model's set-up).</summary>
        public void Reset()
        {
            Drain();
            Interlocked.Exchange(ref scalars, 0);
        }

        /// <summary>Scalars finalised since <see cref="Reset"/>, every finalisable one included.</summary>
        public long Count()
        {
            Drain();
            return Interlocked.Read(ref scalars);
        }

        /// <summary>Finalises everything unreachable, then a marker, and waits for the marker's event.</summary>
        private void Drain()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = Interlocked.Read(ref markers);
            DropMarker();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var watch = Stopwatch.StartNew();
            while (Interlocked.Read(ref markers) == before)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the runtime's FinalizeObject events do not arrive");
                Thread.Sleep(10);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void DropMarker() => _ = new Marker();

        /// <summary>An object with a finalizer, whose event marks the end of what came before.</summary>
        private sealed class Marker
        {
            ~Marker() { }
        }
    }
}
