using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Data;
using Microsoft.Extensions.Time.Testing;

namespace CrmToolkit.Tests.Api;

public sealed class SessionUnitTests
{
    private static readonly WorkspaceId Workspace = WorkspaceId.Parse("abcDEF0123456");

    [Fact]
    public void TenThousandTokensAreDistinctWellFormedAndCarryAtLeast128Bits()
    {
        var tokens = Enumerable.Range(0, 10_000).Select(_ => SessionTokens.NewToken(Workspace)).ToList();

        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        Assert.All(tokens, t =>
        {
            Assert.Matches("^abcDEF0123456\\.[A-Za-z0-9_-]{43}$", t); // URL-safe
            Assert.True(SessionTokens.TryParse(t, out var workspace, out var hash));
            Assert.Equal(Workspace, workspace);
            Assert.True(System.Buffers.Text.Base64Url.DecodeFromChars(t.AsSpan(t.IndexOf('.') + 1)).Length * 8 >= 128);
            Assert.Matches("^[0-9a-f]{64}$", hash);
            Assert.DoesNotContain(t.Split('.')[1], hash);
            hashes.Add(hash);
        });
        Assert.Equal(10_000, hashes.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // a secret with no workspace
    [InlineData("abcDEF0123456.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 44
    [InlineData("abcDEF0123456.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")] // not URL-safe
    [InlineData("abcDEF0123456.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("short.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // not a workspace id
    [InlineData("abcDEF0123456..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void MalformedTokensAreRecognisedWithoutHashing(string token) => Assert.False(SessionTokens.TryParse(token, out _, out _));

    [Fact]
    public void HashesAreLowerCaseHexSha256OfTheSecret()
    {
        Assert.Equal(
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", // SHA-256("foo")
            SessionTokens.Hash("foo"));
    }

    private static readonly SessionLifetimeOptions Defaults = new();

    [Fact]
    public void ASessionExpiresAfterSevenIdleDaysExactly()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var created = time.GetUtcNow();
        var expires = Defaults.ExpiryFor(created, created);

        time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromTicks(1));
        Assert.False(Defaults.IsExpired(created, expires, time.GetUtcNow()));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(Defaults.IsExpired(created, expires, time.GetUtcNow()));
    }

    [Fact]
    public void RenewalHappensOnlyOnceAnHourHasPassedSinceTheLastOne()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var created = time.GetUtcNow();
        var expires = Defaults.ExpiryFor(created, created);

        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromTicks(1));
        Assert.Null(Defaults.RenewalFor(created, expires, time.GetUtcNow()));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromDays(7), Defaults.RenewalFor(created, expires, time.GetUtcNow()));
    }

    [Fact]
    public void AnActiveSessionEndsThirtyDaysAfterItWasCreated()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var created = time.GetUtcNow();
        var expires = Defaults.ExpiryFor(created, created);

        // Used every six days: renewed each time, but never past the cap.
        for (var day = 6; day < 30; day += 6)
        {
            time.SetUtcNow(created + TimeSpan.FromDays(day));
            Assert.False(Defaults.IsExpired(created, expires, time.GetUtcNow()));
            expires = Defaults.RenewalFor(created, expires, time.GetUtcNow()) ?? expires;
            Assert.True(expires <= created + TimeSpan.FromDays(30));
        }

        Assert.Equal(created + TimeSpan.FromDays(30), expires);
        time.SetUtcNow(created + TimeSpan.FromDays(30) - TimeSpan.FromTicks(1));
        Assert.False(Defaults.IsExpired(created, expires, time.GetUtcNow()));
        time.SetUtcNow(created + TimeSpan.FromDays(30));
        Assert.True(Defaults.IsExpired(created, expires, time.GetUtcNow()));
    }

    [Fact]
    public void AShortenedAbsoluteLifetimeAppliesToExistingSessions()
    {
        var created = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        var issuedUnderOldSettings = created + TimeSpan.FromDays(7);
        var shorter = new SessionLifetimeOptions { AbsoluteExpiration = TimeSpan.FromDays(1) };

        Assert.True(shorter.IsExpired(created, issuedUnderOldSettings, created + TimeSpan.FromDays(1)));
        Assert.Equal(created + TimeSpan.FromDays(1), shorter.RenewalFor(created, issuedUnderOldSettings, created + TimeSpan.FromMinutes(5)));
    }
}
