using System.Globalization;
using System.Text;

namespace MLNetInference.Serving.Repository.Internal;

/// <summary>A value in protobuf text format: a scalar token (identifier, number or string) or a nested message.</summary>
internal sealed class TextValue
{
    public TextValue(TokenKind kind, string text, int line)
    {
        Kind = kind;
        Text = text;
        Line = line;
    }

    public TextValue(TextMessage message)
    {
        Kind = TokenKind.Message;
        Text = string.Empty;
        Message = message;
        Line = message.Line;
    }

    public TokenKind Kind { get; }

    /// <summary>The identifier, the number as written, or the unescaped string.</summary>
    public string Text { get; }

    public TextMessage? Message { get; }

    public int Line { get; }
}

/// <summary>One <c>name: value</c> occurrence; a list <c>name: [a, b]</c> becomes one field per element, as protobuf reads it.</summary>
internal sealed record TextField(string Name, TextValue Value, int Line);

/// <summary>A message in protobuf text format: its fields in the order written.</summary>
internal sealed class TextMessage(int line)
{
    public int Line { get; } = line;

    public List<TextField> Fields { get; } = [];
}

internal enum TokenKind
{
    Identifier,
    Number,
    String,
    Symbol,
    End,
    Message,
}

/// <summary>
/// Reads protobuf text format (what Triton's <c>config.pbtxt</c> is written in) into <see cref="TextMessage"/>s: <c>#</c>
/// comments, <c>name: value</c> and <c>name { ... }</c> (or <c>&lt; ... &gt;</c>) fields, lists in brackets, optional
/// <c>,</c> or <c>;</c> separators, and single- or double-quoted strings with C escapes. It knows no schema; the caller
/// maps field names onto a configuration.
/// </summary>
internal sealed class TextFormatReader
{
    /// <summary>Deeper nesting than any model configuration needs; it bounds the recursion on hostile input.</summary>
    private const int MaxDepth = 32;

    private readonly string _text;
    private readonly string _source;
    private int _position;
    private int _line = 1;
    private (TokenKind Kind, string Text, int Line) _token;

    private TextFormatReader(string text, string source)
    {
        _text = text;
        _source = source;
        Advance();
    }

    /// <summary>Reads a whole document.</summary>
    /// <exception cref="ModelConfigException">The text is not valid text format; the message gives the line.</exception>
    public static TextMessage Read(string text, string source)
    {
        var reader = new TextFormatReader(text, source);
        var message = reader.ReadFields(closing: null, line: 1, depth: 0);
        return message;
    }

    private TextMessage ReadFields(string? closing, int line, int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error(_token.Line, $"messages are nested more than {MaxDepth} deep.");
        }

        var message = new TextMessage(line);
        while (true)
        {
            if (_token.Kind == TokenKind.End)
            {
                if (closing is not null)
                {
                    throw Error(line, $"this message is not closed with '{closing}' before the end of the file.");
                }

                return message;
            }

            if (_token.Kind == TokenKind.Symbol && _token.Text == closing)
            {
                Advance();
                return message;
            }

            if (_token.Kind != TokenKind.Identifier)
            {
                throw Error(_token.Line, $"expected a field name, found {Describe()}.");
            }

            var name = _token.Text;
            var fieldLine = _token.Line;
            Advance();
            var colon = false;
            if (IsSymbol(":"))
            {
                colon = true;
                Advance();
            }

            if (IsSymbol("["))
            {
                Advance();
                if (IsSymbol("]"))
                {
                    Advance();
                }
                else
                {
                    while (true)
                    {
                        message.Fields.Add(new TextField(name, ReadValue(name, colon: true, depth), fieldLine));
                        if (IsSymbol(","))
                        {
                            Advance();
                            continue;
                        }

                        if (IsSymbol("]"))
                        {
                            Advance();
                            break;
                        }

                        throw Error(_token.Line, $"expected ',' or ']' in the list '{name}', found {Describe()}.");
                    }
                }
            }
            else
            {
                message.Fields.Add(new TextField(name, ReadValue(name, colon, depth), fieldLine));
            }

            if (IsSymbol(",") || IsSymbol(";"))
            {
                Advance();
            }
        }
    }

    private TextValue ReadValue(string name, bool colon, int depth)
    {
        if (IsSymbol("{") || IsSymbol("<"))
        {
            var closing = _token.Text == "{" ? "}" : ">";
            var line = _token.Line;
            Advance();
            return new TextValue(ReadFields(closing, line, depth + 1));
        }

        if (!colon)
        {
            throw Error(_token.Line, $"expected ':' or '{{' after the field name '{name}', found {Describe()}.");
        }

        switch (_token.Kind)
        {
            case TokenKind.Identifier:
            case TokenKind.Number:
            {
                var value = new TextValue(_token.Kind, _token.Text, _token.Line);
                Advance();
                return value;
            }

            case TokenKind.String:
            {
                // Adjacent strings concatenate, as in C and protobuf.
                var line = _token.Line;
                var builder = new StringBuilder(_token.Text);
                Advance();
                while (_token.Kind == TokenKind.String)
                {
                    builder.Append(_token.Text);
                    Advance();
                }

                return new TextValue(TokenKind.String, builder.ToString(), line);
            }

            default:
                throw Error(_token.Line, $"expected a value for the field '{name}', found {Describe()}.");
        }
    }

    private bool IsSymbol(string symbol) => _token.Kind == TokenKind.Symbol && _token.Text == symbol;

    private string Describe() => _token.Kind switch
    {
        TokenKind.End => "the end of the file",
        TokenKind.String => $"the string \"{_token.Text}\"",
        _ => $"'{_token.Text}'",
    };

    private ModelConfigException Error(int line, string problem) => new(_source, line, problem);

    private void Advance()
    {
        SkipSpaceAndComments();
        if (_position >= _text.Length)
        {
            _token = (TokenKind.End, string.Empty, _line);
            return;
        }

        var c = _text[_position];
        var start = _position;
        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (_position < _text.Length && (char.IsAsciiLetterOrDigit(_text[_position]) || _text[_position] is '_' or '.'))
            {
                _position++;
            }

            _token = (TokenKind.Identifier, _text[start.._position], _line);
            return;
        }

        if (char.IsAsciiDigit(c) || ((c is '-' or '+' or '.') && _position + 1 < _text.Length && (char.IsAsciiDigit(_text[_position + 1]) || _text[_position + 1] == '.')))
        {
            _position++;
            while (_position < _text.Length && (char.IsAsciiLetterOrDigit(_text[_position]) || _text[_position] is '.' or '_'
                || (_text[_position] is '-' or '+' && _text[_position - 1] is 'e' or 'E' && !_text.AsSpan(start, _position - start).Contains('x'))))
            {
                _position++;
            }

            _token = (TokenKind.Number, _text[start.._position], _line);
            return;
        }

        if (c is '"' or '\'')
        {
            _token = (TokenKind.String, ReadString(c), _line);
            return;
        }

        if ("{}[]<>:,;".Contains(c, StringComparison.Ordinal))
        {
            _position++;
            _token = (TokenKind.Symbol, c.ToString(), _line);
            return;
        }

        throw Error(_line, $"unexpected character '{c}'.");
    }

    private void SkipSpaceAndComments()
    {
        while (_position < _text.Length)
        {
            var c = _text[_position];
            if (c == '\n')
            {
                _line++;
                _position++;
            }
            else if (char.IsWhiteSpace(c))
            {
                _position++;
            }
            else if (c == '#')
            {
                while (_position < _text.Length && _text[_position] != '\n')
                {
                    _position++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private string ReadString(char quote)
    {
        var line = _line;
        _position++;
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        while (true)
        {
            if (_position >= _text.Length || _text[_position] == '\n')
            {
                throw Error(line, "a string is not closed before the end of the line.");
            }

            var c = _text[_position++];
            if (c == quote)
            {
                break;
            }

            if (c != '\\')
            {
                var rune = char.IsHighSurrogate(c) && _position < _text.Length ? new Rune(c, _text[_position++]) : new Rune(c);
                var count = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < count; i++)
                {
                    bytes.Add(utf8[i]);
                }

                continue;
            }

            if (_position >= _text.Length)
            {
                throw Error(line, "a string ends in a lone backslash.");
            }

            var escape = _text[_position++];
            switch (escape)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case '\'': bytes.Add((byte)'\''); break;
                case '"': bytes.Add((byte)'"'); break;
                case '?': bytes.Add((byte)'?'); break;
                case 'x' or 'X':
                {
                    var start = _position;
                    while (_position < _text.Length && _position - start < 2 && char.IsAsciiHexDigit(_text[_position]))
                    {
                        _position++;
                    }

                    if (_position == start)
                    {
                        throw Error(line, "'\\x' is not followed by a hex digit.");
                    }

                    bytes.Add(byte.Parse(_text.AsSpan(start, _position - start), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    break;
                }

                case >= '0' and <= '7':
                {
                    var value = escape - '0';
                    for (var i = 0; i < 2 && _position < _text.Length && _text[_position] is >= '0' and <= '7'; i++)
                    {
                        value = (value * 8) + (_text[_position++] - '0');
                    }

                    if (value > 255)
                    {
                        throw Error(line, $"the octal escape '\\{Convert.ToString(value, 8)}' is larger than one byte.");
                    }

                    bytes.Add((byte)value);
                    break;
                }

                default:
                    throw Error(line, $"unknown escape '\\{escape}' in a string.");
            }
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            throw Error(line, "a string's escaped bytes are not valid UTF-8.");
        }
    }
}
