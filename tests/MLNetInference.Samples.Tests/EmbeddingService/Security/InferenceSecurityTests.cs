using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using MLNetInference.Samples.EmbeddingService.Api;

namespace MLNetInference.Samples.Tests.EmbeddingService.Security;

[TestClass]
public sealed class InferenceSecurityTests
{
    private const string Key = "alpha-key-0123456789abcdef";
    private const string Issuer = "https://issuer.test";
    private const string Audience = "embedding-service";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Off_ByDefault_InferenceNeedsNoCredentials()
    {
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken);
        using var client = service.Client();

        Assert.AreEqual(HttpStatusCode.OK, await EmbedAsync(client));
    }

    [TestMethod]
    public async Task ApiKey_InferenceNeedsAKnownKeyWhileHealthAndMetricsStayOpen()
    {
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken, "Security:Mode=ApiKey", $"Security:ApiKeys:alpha={Key}");
        using var anonymous = service.Client();
        using var wrong = service.Client();
        using var known = service.Client();
        wrong.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key-0123456789abcdef");
        known.DefaultRequestHeaders.Add("X-Api-Key", Key);

        using var challenge = await anonymous.PostAsJsonAsync("/embed", new EmbedRequest("No key."), TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.Unauthorized, challenge.StatusCode);
        StringAssert.Contains(challenge.Headers.WwwAuthenticate.ToString(), "X-Api-Key");
        Assert.AreEqual(HttpStatusCode.Unauthorized, await EmbedAsync(wrong));
        Assert.AreEqual(HttpStatusCode.OK, await EmbedAsync(known));
        foreach (var open in new[] { "/health/live", "/health/ready", "/metrics" })
        {
            using var response = await anonymous.GetAsync(open, TestContext.CancellationToken);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, $"{open} stays open");
        }
    }

    [TestMethod]
    public void ApiKey_NoKeysConfigured_StartupFailsNamingTheSetting()
    {
        var error = Assert.Throws<Exception>(() =>
        {
            var app = Program.BuildApp(["--urls=http://127.0.0.1:0", $"--Embedder:ModelPath={EmbeddingServiceFixture.ModelPath}", "--Security:Mode=ApiKey"]);
            try
            {
                app.StartAsync(TestContext.CancellationToken).GetAwaiter().GetResult();
            }
            finally
            {
                app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });

        StringAssert.Contains(error.ToString(), "Security:ApiKeys");
    }

    [TestMethod]
    public async Task JwtBearer_ValidTokenServesAndMissingOrForeignTokenIs401()
    {
        var signingKey = RandomNumberGenerator.GetBytes(32);
        await using var service = await LoopbackService.StartAsync(
            TestContext.CancellationToken,
            "Security:Mode=JwtBearer",
            $"Authentication:Schemes:Bearer:ValidIssuer={Issuer}",
            $"Authentication:Schemes:Bearer:ValidAudiences:0={Audience}",
            $"Authentication:Schemes:Bearer:SigningKeys:0:Issuer={Issuer}",
            $"Authentication:Schemes:Bearer:SigningKeys:0:Value={Convert.ToBase64String(signingKey)}");
        using var anonymous = service.Client();
        using var bearer = service.Client();
        using var foreign = service.Client();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(signingKey));
        foreign.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(RandomNumberGenerator.GetBytes(32)));

        Assert.AreEqual(HttpStatusCode.Unauthorized, await EmbedAsync(anonymous));
        Assert.AreEqual(HttpStatusCode.Unauthorized, await EmbedAsync(foreign), "a token signed with another key is refused");
        Assert.AreEqual(HttpStatusCode.OK, await EmbedAsync(bearer));
        using var ready = await anonymous.GetAsync("/health/ready", TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.OK, ready.StatusCode, "health stays open");
    }

    private static string Token(byte[] signingKey) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        Subject = new ClaimsIdentity([new Claim("sub", "client-a")]),
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(signingKey), SecurityAlgorithms.HmacSha256),
    });

    private async Task<HttpStatusCode> EmbedAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/embed", new EmbedRequest("The quick brown fox."), TestContext.CancellationToken);
        return response.StatusCode;
    }
}
