using CrmToolkit.Data;

namespace CrmToolkit.Tests.Foundation;

public sealed class WorkspaceIdTests
{
    [Theory]
    [InlineData("abcdefghij")]
    [InlineData("ABCDEFGHIJ0123456789")]
    [InlineData("a1B2c3D4e5F6")]
    public void ParsesTenToTwentyAsciiLettersAndDigits(string value)
    {
        Assert.True(WorkspaceId.TryParse(value, out var id));
        Assert.Equal(value, id.Value);
        Assert.Equal(value, WorkspaceId.Parse(value).ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abcdefghi")] // 9
    [InlineData("abcdefghijklmnopqrstu")] // 21
    [InlineData("abcdefghij ")]
    [InlineData("abcde-fghij")]
    [InlineData("abcdéfghijk")] // Latin letter outside ASCII
    [InlineData("١٢٣٤٥٦٧٨٩٠")] // Arabic-Indic digits: char.IsDigit says yes, we say no
    [InlineData("０１２３４５６７８９")] // full-width digits
    [InlineData("abcdefghiј")] // last letter is Cyrillic je, a look-alike of j
    public void RejectsAnythingElse(string? value)
    {
        Assert.False(WorkspaceId.TryParse(value, out _));
        Assert.False(WorkspaceId.IsValid(value));
        if (value is not null)
        {
            Assert.Throws<FormatException>(() => WorkspaceId.Parse(value));
        }
    }

    [Fact]
    public void TenThousandGeneratedIdsAreValidFifteenCharactersAndDistinct()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => WorkspaceId.New().Value).ToList();

        Assert.All(ids, id =>
        {
            Assert.Equal(WorkspaceId.GeneratedLength, id.Length);
            Assert.True(WorkspaceId.IsValid(id));
        });
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void GeneratedIdsUseTheWholeAlphabet()
    {
        // 10 000 ids × 15 characters: every one of the 62 characters appears unless generation is biased or broken.
        var seen = Enumerable.Range(0, 10_000).SelectMany(_ => WorkspaceId.New().Value).ToHashSet();
        Assert.Equal(62, seen.Count);
    }

    [Fact]
    public void DefaultValueHasNoIdAndSaysSo()
    {
        Assert.Throws<InvalidOperationException>(() => default(WorkspaceId).Value);
    }

    [Fact]
    public void RoundTripsThroughJsonAndRejectsMalformedJson()
    {
        var id = WorkspaceId.New();
        var json = System.Text.Json.JsonSerializer.Serialize(id);
        Assert.Equal($"\"{id.Value}\"", json);
        Assert.Equal(id, System.Text.Json.JsonSerializer.Deserialize<WorkspaceId>(json));
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<WorkspaceId>("\"short\""));
    }
}
