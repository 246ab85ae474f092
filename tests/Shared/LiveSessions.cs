using System.Diagnostics.Metrics;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Tests.Shared;

/// <summary>Reads the process-wide count of live ONNX sessions from the core's metric, as a monitoring tool would.</summary>
internal static class LiveSessions
{
    public static int Count()
    {
        var count = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OnnxSessionMetrics.MeterName && instrument.Name == OnnxSessionMetrics.SessionCountName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => count += value);
        listener.Start();
        listener.RecordObservableInstruments();
        return count;
    }
}
