using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using TorchSharp;
using VisionLab.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Support;

/// <summary>
/// Checks that work leaves no TorchSharp Scalar to the finalizer while another thread collects
/// garbage. TorchSharp hands the numbers in tensor operations to libtorch as Scalars that only a
/// finalizer frees, and does not keep them alive during the native call, so a collection started by
/// another thread inside the call lets the finalizer free the number while libtorch reads it (see
/// <c>HeldScalars</c>).
/// <para>
/// The race itself is rare, so the check is on its cause, which is certain: the runtime reports every
/// object its finalizer thread finalises, and not one may be a Scalar. Each case runs once undisturbed,
/// then again and again while a thread collects garbage without pause, as a progress bar's thread or a
/// web server's requests do; its figures must not change either, since a number read after it was freed
/// changes them.
/// </para>
/// </summary>
public static class ScalarFinalisation
{
    /// <summary>Runs every case under collections for <paramref name="duration"/> (whole rounds, at least
    /// one) and fails if a Scalar was finalised or a case's figures changed.</summary>
    public static void AssertNoneFinalisedUnderCollections(IReadOnlyList<(string Name, Func<IReadOnlyList<double>> Figures)> cases,
        TimeSpan duration, ITestOutputHelper output)
    {
        // One libtorch thread: the figures are then deterministic, and collections pause no thread team.
        int threads = get_num_threads();
        TorchRuntime.SetThreads(1);
        try
        {
            Run(cases, duration, output);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static void Run(IReadOnlyList<(string Name, Func<IReadOnlyList<double>> Figures)> cases, TimeSpan duration, ITestOutputHelper output)
    {
        using var finalised = new FinalisedScalars();
        finalised.Reset();
        var expected = cases.Select(c => c.Figures()).ToList();

        int rounds = 0;
        var watch = Stopwatch.StartNew();
        using (var collector = new GarbageCollector())
        {
            while (rounds == 0 || watch.Elapsed < duration)
            {
                for (int i = 0; i < cases.Count; i++)
                    Assert.True(expected[i].SequenceEqual(cases[i].Figures()), $"{cases[i].Name} changed in round {rounds}");
                rounds++;
            }
            output.WriteLine($"{rounds} rounds in {watch.Elapsed.TotalSeconds:F1} s, {collector.Collections} collections");
            Assert.True(collector.Collections >= rounds, $"only {collector.Collections} collections in {rounds} rounds");
        }

        long count = finalised.Count();
        output.WriteLine($"{count} Scalars finalised");
        Assert.True(count == 0, $"{count} TorchSharp Scalars were left to the finalizer, which may free them while libtorch reads them");
    }

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

        /// <summary>Forgets the Scalars finalised so far (earlier tests' and the cases' set-up).</summary>
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
