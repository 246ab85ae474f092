using System.Globalization;
using System.Net;

namespace MLNetInference.Samples.InferenceServer;

/// <summary>The command line of the server: the repository, the address and the two ports.</summary>
internal sealed record ServerSettings(string ModelRepository, IPAddress Host, int HttpPort, int GrpcPort, TimeSpan ShutdownTimeout)
{
    public static ServerSettings From(IConfiguration configuration)
    {
        var repository = configuration["model-repository"]
            ?? throw new ArgumentException("Give the model repository: --model-repository <folder> (Triton layout: <model>/config.pbtxt, <model>/<version>/model.onnx; mlnet-infer export writes one).");
        var host = configuration["host"] ?? "127.0.0.1";
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new ArgumentException($"--host '{host}' is not an IP address.");
        }

        return new ServerSettings(
            repository,
            address,
            Port(configuration, "http-port", 8080),
            Port(configuration, "grpc-port", 8081),
            TimeSpan.FromSeconds(double.Parse(configuration["shutdown-timeout-seconds"] ?? "30", CultureInfo.InvariantCulture)));
    }

    private static int Port(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        return text is null ? fallback
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535 ? port
            : throw new ArgumentException($"--{key} '{text}' is not a port number.");
    }
}
