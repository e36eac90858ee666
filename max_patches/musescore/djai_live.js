// djai_live for MuseScore: the shared steps of "Harmonize selection" and "Continue selection".
//
// Imported (without .pragma library) by djai_live.qml, djai_live_harmonize.qml and djai_live_continue.qml, so it
// sees the importing plugin's curScore, division, newCursor, removeElement, writeScore, readScore, Element and the ids
// `shell` (a QProcess), `exchange` (a FileIO) and `errorBox` (a MessageDialog).
//
// The melody goes to the command as JSON (FileIO writes text; a MIDI file would need binary writes that the
// plugin API does not have), and the command's --json answer comes back the same way. MuseScore 3's plugin API
// can write one note value at a time and ties it across barlines itself, but cannot tie inside a bar, so the
// command is asked for --notation (each duration one note value) and what is written is what it said.

var DEFAULTS = {
    command: "djai-live",
    harmonize_model: "chorale",
    continue_model: "default",
    temperature: "",       // empty: the model's own
    seed: 0,
    bars: 4,
    grid: "1/16",
    timeout_s: 120
};
var SETTINGS_FILE = ".djai_live_musescore.json";   // in the home folder; written by djai_live.qml's Save
var PLACEHOLDER_PITCH = 60;                       // written to step over a rest, removed at once
var score = null;   // the score acted on: the open one, or the copy with staves added (see withNewStaves)

function environment() {
    // QML cannot read the environment: ask the system (env, or cmd's set), once.
    var windows = Qt.platform.os === "windows";
    shell.start(windows ? "cmd /c set" : "env");
    shell.waitForFinished(5000);
    var found = {};
    var lines = String(shell.readAllStandardOutput()).split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
        var cut = lines[i].indexOf("=");
        if (cut > 0 && lines[i].indexOf("DJAI_LIVE_") === 0)
            found[lines[i].substring(0, cut)] = lines[i].substring(cut + 1);
    }
    return found;
}

function settingsPath() {
    return exchange.homePath() + "/" + SETTINGS_FILE;
}

function loadSettings(env) {
    var settings = {};
    for (var key in DEFAULTS)
        settings[key] = DEFAULTS[key];
    exchange.source = settingsPath();
    if (exchange.exists()) {
        try {
            var stored = JSON.parse(exchange.read());
            for (var name in stored)
                if (name in DEFAULTS)
                    settings[name] = stored[name];
        } catch (error) {
            throw new Error(settingsPath() + " is not JSON (" + error.message + "): fix or remove it");
        }
    }
    if (env.DJAI_LIVE_COMMAND)
        settings.command = env.DJAI_LIVE_COMMAND;
    return settings;
}

function saveSettings(settings) {
    exchange.source = settingsPath();
    if (!exchange.write(JSON.stringify(settings, null, 1) + "\n"))
        throw new Error("cannot write " + settingsPath());
}

// -- where to act -----------------------------------------------------------------------------------------

function measureStarts() {
    // The start tick of every measure, then the score's end tick.
    var starts = [];
    for (var measure = score.firstMeasure; measure; measure = measure.nextMeasure)
        starts.push(measure.firstSegment.tick);
    starts.push(score.lastSegment.tick);
    return starts;
}

function measureStartAtOrBefore(starts, tick) {
    var found = 0;
    for (var i = 0; i < starts.length - 1; i++)
        if (starts[i] <= tick)
            found = starts[i];
    return found;
}

function measureEndAtOrAfter(starts, tick) {
    for (var i = 0; i < starts.length; i++)
        if (starts[i] >= tick)
            return starts[i];
    return starts[starts.length - 1];
}

function barAndBeat(tick) {
    // "bar 3, beat 2" for messages, counting quarter notes within the bar.
    var starts = measureStarts();
    for (var i = starts.length - 2; i >= 0; i--)
        if (starts[i] <= tick)
            return "bar " + (i + 1) + ", beat " + (Math.round((tick - starts[i]) / division * 100) / 100 + 1);
    return "tick " + tick;
}

function selectedRange(headless) {
    // The selection's staves and ticks; with none, the whole first staff when run headless.
    var cursor = score.newCursor();
    cursor.rewind(1);
    if (!cursor.segment) {
        if (!headless)
            throw new Error("Select the melody first: click its first bar, shift-click its last (one staff), then "
                            + "run the plugin again.");
        return { firstStaff: 0, lastStaff: 0, startTick: 0, endTick: score.lastSegment.tick, whole: true };
    }
    var range = { firstStaff: cursor.staffIdx, startTick: cursor.tick, whole: false };
    cursor.rewind(2);
    range.lastStaff = cursor.staffIdx;
    range.endTick = cursor.tick === 0 ? score.lastSegment.tick : cursor.tick;
    return range;
}

// -- reading ------------------------------------------------------------------------------------------------

function readStaff(staff, startTick, endTick, origin, refuseChords) {
    // The notes of a staff's first voice in [startTick, endTick) as JSON notes, beats from `origin`.
    var cursor = score.newCursor();
    cursor.staffIdx = staff;
    cursor.voice = 0;
    cursor.rewind(0);
    var notes = [];
    for (; cursor.segment && cursor.tick < endTick; cursor.next()) {
        if (cursor.tick < startTick || cursor.element.type !== Element.CHORD)
            continue;
        var chord = cursor.element;
        if (chord.notes.length > 1 && refuseChords)
            throw new Error("There is a chord at " + barAndBeat(cursor.tick) + " of staff " + (staff + 1)
                            + ": the melody must be one note at a time. Keep its top note, or move the others to "
                            + "another staff.");
        var note = chord.notes[chord.notes.length - 1];
        var beats = chord.duration.ticks / division;
        var previous = notes.length ? notes[notes.length - 1] : null;
        if (note.tieBack && previous && previous.pitch === note.pitch) {   // MuseScore 3.3+: one tied note
            previous.duration_beats += beats;
            continue;
        }
        notes.push({ pitch: note.pitch, velocity: note.velocity > 0 ? note.velocity : 80,
                     onset_beats: (cursor.tick - origin) / division, duration_beats: beats });
    }
    return notes;
}

function staffIsEmpty(staff, fromTick, toTick) {
    // True when no voice of the staff has a note in [fromTick, toTick).
    for (var voice = 0; voice < 4; voice++) {
        var cursor = score.newCursor();
        cursor.staffIdx = staff;
        cursor.voice = voice;
        cursor.rewind(0);
        for (; cursor.segment && cursor.tick < toTick; cursor.next())
            if (cursor.tick >= fromTick && cursor.element && cursor.element.type === Element.CHORD)
                return false;
    }
    return true;
}

// -- writing ------------------------------------------------------------------------------------------------

function noteValues() {
    // Every note value in ticks (breve to 64th; plain, dotted, double-dotted), longest first.
    var values = [];
    for (var base = division * 8; base >= division / 16; base /= 2) {
        values.push(base * 1.75, base * 1.5, base);
    }
    values.sort(function (a, b) { return b - a; });
    return values.filter(function (v) { return v === Math.round(v); });
}

function splitIntoValues(ticks) {
    var values = noteValues(), pieces = [];
    while (ticks > 0) {
        var value = ticks;
        for (var i = 0; i < values.length; i++)
            if (values[i] <= ticks) { value = values[i]; break; }
        pieces.push(value);
        ticks -= value;
    }
    return pieces;
}

function gcd(a, b) {
    return b ? gcd(b, a % b) : a;
}

function writeValue(cursor, ticks, pitch) {
    var whole = division * 4, common = gcd(ticks, whole);
    cursor.setDuration(ticks / common, whole / common);
    cursor.addNote(pitch);
}

function writeVoice(staff, fromTick, notes, origin) {
    // Write `notes` (JSON notes, beats from `origin`) into the empty first voice of `staff` from `fromTick` (a
    // measure start); rests between them are stepped over with placeholder notes removed afterwards (MuseScore
    // 3.2's cursor cannot move to a tick or add a rest). Returns the notes written.
    var cursor = score.newCursor();
    cursor.staffIdx = staff;
    cursor.voice = 0;
    cursor.rewind(0);
    while (cursor.segment && cursor.tick < fromTick)
        cursor.next();
    if (!cursor.segment || cursor.tick !== fromTick)
        throw new Error("cannot place the cursor at " + barAndBeat(fromTick) + " of staff " + (staff + 1));
    var tick = fromTick, gaps = [], written = 0;
    for (var i = 0; i < notes.length; i++) {
        var onset = origin + Math.round(notes[i].onset_beats * division);
        var length = Math.round(notes[i].duration_beats * division);
        if (onset < tick || length <= 0)
            continue;   // the command writes one note at a time: an overlap is not the command's
        if (onset > tick) {
            gaps.push([tick, onset]);
            var rest = splitIntoValues(onset - tick);
            for (var r = 0; r < rest.length; r++)
                writeValue(cursor, rest[r], PLACEHOLDER_PITCH);
        }
        var pieces = splitIntoValues(length);   // one piece when the command wrote --notation
        for (var p = 0; p < pieces.length; p++)
            writeValue(cursor, pieces[p], notes[i].pitch);
        tick = onset + length;
        written++;
    }
    removePlaceholders(staff, gaps);
    return written;
}

function removePlaceholders(staff, gaps) {
    if (!gaps.length)
        return;
    var cursor = score.newCursor();
    cursor.staffIdx = staff;
    cursor.voice = 0;
    cursor.rewind(0);
    var doomed = [];
    for (; cursor.segment; cursor.next()) {
        if (cursor.element.type !== Element.CHORD)
            continue;
        for (var g = 0; g < gaps.length; g++)
            if (cursor.tick >= gaps[g][0] && cursor.tick < gaps[g][1])
                doomed.push(cursor.element.notes[0]);
    }
    for (var d = 0; d < doomed.length; d++)
        removeElement(doomed[d]);   // the only note of its chord: MuseScore leaves a rest
}

// -- the command --------------------------------------------------------------------------------------------

function shellQuote(text) {
    return "'" + String(text).replace(/'/g, "'\\''") + "'";
}

function runCommand(settings, args) {
    // Run `settings.command args...` with its error output joined to its output (the plugin API reads only
    // standard output); returns {code, output}. QProcess.start(string) honours double quotes only, so the
    // line goes to the shell inside one pair of them, each argument single-quoted for the shell.
    var command = String(settings.command).trim();
    if (!command)
        throw new Error("No djai-live command is set: put it in djai_live's settings or DJAI_LIVE_COMMAND.");
    var line = [command].concat(args.map(shellQuote)).join(" ");
    if (line.indexOf("\"") >= 0)
        throw new Error("The command and the temporary folder must not contain double quotes: " + line);
    var windows = Qt.platform.os === "windows";
    var quoted = [command].concat(args.map(function (a) { return "\"" + a + "\""; })).join(" ");
    shell.lastExit = -1;   // set by the plugin's onFinished; stays -1 when the command never started
    shell.start(windows ? "cmd /c " + quoted + " 2>&1" : "/bin/sh -c \"" + line + " 2>&1\"");
    var finished = shell.waitForFinished(settings.timeout_s * 1000);
    var output = String(shell.readAllStandardOutput()).trim();
    if (!finished)
        throw new Error("`" + command + "` did not finish within " + settings.timeout_s + " s" +
                        (output ? ":\n" + output : ""));
    return { code: shell.lastExit, output: output };
}

function commandFailure(settings, action, result) {
    var command = String(settings.command).trim();
    if (result.code === 127 || /not found|not recognized|No such file/.test(result.output) && result.code !== 1)
        return "Cannot run `" + command + "`: " + result.output + "\nInstall djai-live (pip install djai-live), "
               + "or set the full path of its command in djai_live's settings (or DJAI_LIVE_COMMAND).";
    return "`" + command + " " + action + "` failed (exit " + result.code + "):\n" + (result.output || "no message");
}

// -- the actions ----------------------------------------------------------------------------------------------

function act(action, headless, settings, started) {
    // Harmonize or continue the selection; returns a report line (with the time since `started`, the menu's
    // click). Throws an Error with the message to show.
    started = started || Date.now();
    score = curScore;
    if (!score)
        throw new Error("Open a score first.");
    var range = selectedRange(headless);
    var starts = measureStarts();
    var origin = measureStartAtOrBefore(starts, range.startTick);
    var selectionEnd = measureEndAtOrAfter(starts, range.endTick);
    var meter = score.newCursor();
    meter.staffIdx = range.firstStaff;
    meter.rewind(0);
    while (meter.segment && meter.tick < origin)
        meter.next();
    var signature = meter.measure ? meter.measure.timesigActual : null;
    var staves = action === "harmonize" ? [range.firstStaff] : [];
    for (var s = range.firstStaff; action === "continue" && s <= range.lastStaff; s++)
        staves.push(s);
    var parts = [], count = 0;
    for (var i = 0; i < staves.length; i++) {
        var notes = readStaff(staves[i], range.startTick, range.endTick, origin, action === "harmonize");
        count += notes.length;
        parts.push({ instrument: i, name: "staff " + (staves[i] + 1), notes: notes });
    }
    if (!count)
        throw new Error("The selection has no notes in staff " + (range.firstStaff + 1) + " (only rests): select the "
                        + "bars of the melody.");
    var request = { parts: parts, end_beats: (selectionEnd - origin) / division,
                    tempo_bpm: meter.tempo > 0 ? Math.min(Math.max(meter.tempo * 60, 20), 400) : 120 };
    if (signature)
        request.time_signature = [signature.numerator, signature.denominator];
    var stamp = Date.now() + "_" + Math.floor(Math.random() * 1e6);
    var folder = exchange.tempPath();
    var input = folder + "/djai_live_" + stamp + "_in.json", answer = folder + "/djai_live_" + stamp + "_out.json";
    var midi = folder + "/djai_live_" + stamp + "_out.mid";
    exchange.source = input;
    if (!exchange.write(JSON.stringify(request)))
        throw new Error("cannot write " + input);
    var args = [action, input, "-o", midi, "--json", answer, "--grid", settings.grid, "--notation",
                "--seed", String(settings.seed),
                "--model", action === "harmonize" ? settings.harmonize_model : settings.continue_model];
    if (String(settings.temperature).trim() !== "")
        args.push("--temperature", String(settings.temperature));
    if (action === "continue")
        args.push("--bars", String(settings.bars));
    var commandStarted = Date.now();
    var result, text = null;
    try {
        result = runCommand(settings, args);
        exchange.source = answer;
        if (result.code === 0 && exchange.exists())
            text = exchange.read();
    } finally {
        removeFiles([input, answer, midi]);
    }
    var commandMs = Date.now() - commandStarted;
    if (text === null)
        throw new Error(commandFailure(settings, action, result));
    var document;
    try {
        document = JSON.parse(text);
    } catch (error) {
        throw new Error("the answer of `" + settings.command + "` (" + answer + ") is not JSON: " + error.message);
    }
    var copy = withNewStaves(settings, document, range, action === "harmonize", folder + "/djai_live_" + stamp);
    var written = action === "harmonize" ? writeHarmony(document, range, origin, selectionEnd)
                                         : writeContinuation(document, range, origin, starts);
    if (copy)
        written.staves += " of a copy of the score with " + copy.added + " staves added (" + copy.path + "; save it "
                          + "where you like; your score is unchanged: MuseScore 3.2's plugins cannot add staves to it)";
    return action + ": " + written.notes + " notes written in " + written.staves + (written.skipped.length ?
           "; " + written.skipped.join("; ") : "") + " (" + (Date.now() - started) + " ms from the menu to the notes, "
           + commandMs + " ms of it the command)";
}

function removeFiles(paths) {
    for (var i = 0; i < paths.length; i++) {
        exchange.source = paths[i];
        if (exchange.exists())
            exchange.remove();
    }
}

function clefFor(notes) {
    // The clef a voice reads best in, from its median pitch: treble, the tenor's treble an octave down, bass.
    var pitches = notes.map(function (n) { return n.pitch; }).sort(function (a, b) { return a - b; });
    var median = pitches.length ? pitches[Math.floor(pitches.length / 2)] : 60;
    return median >= 62 ? "G" : median >= 53 ? "G8vb" : "F";
}

function withNewStaves(settings, document, range, melodyFirst, stem) {
    // When voices of the answer have no staff (the score ends above them), save the score, add the staves they
    // need below its last one with `djai-live add-staves`, open the result and act on it from here on (`score`).
    // Returns {added, path} for the report, or null when every voice has a staff.
    var staves = voiceStaves(document, range.firstStaff, melodyFirst).filter(function (entry) {
        return entry.staff >= score.nstaves && entry.voice.notes.length;
    }).map(function (entry) {
        return { staff: entry.staff, name: entry.voice.name, clef: clefFor(entry.voice.notes) };
    });
    if (!staves.length)
        return null;
    var needed = staves[staves.length - 1].staff + 1 - score.nstaves, args = [];
    for (var s = score.nstaves; s < score.nstaves + needed; s++) {
        var named = staves.filter(function (entry) { return entry.staff === s; });
        var label = named.length ? named[0].name : "staff " + (s + 1);
        args.push("--staff", label.charAt(0).toUpperCase() + label.substring(1) + ":" + (named.length ? named[0].clef : "G"));
    }
    var saved = stem + "_score", path = stem + (melodyFirst ? "_harmonized" : "_continued") + ".mscx";
    if (!writeScore(score, saved, "mscx"))
        throw new Error("cannot save a copy of the score to " + saved + ".mscx (to add the staves the voices need)");
    var result;
    try {
        result = runCommand(settings, ["add-staves", saved + ".mscx", "-o", path, "--like",
                                       String(range.firstStaff + 1)].concat(args));
    } finally {
        removeFiles([saved + ".mscx"]);
    }
    if (result.code !== 0)
        throw new Error(commandFailure(settings, "add-staves", result));
    var opened = readScore(path);
    if (!opened || opened.nstaves !== score.nstaves + needed)
        throw new Error("cannot open " + path + " (the score with the staves added) in MuseScore");
    score = opened;
    return { added: needed, path: path };
}

function voiceStaves(document, firstStaff, melodyFirst) {
    // Each part of the answer but the melody, with the staff it goes to: harmonizing, the staves below the
    // melody in order; continuing, the selection's staves by instrument.
    var voices = document.parts.filter(function (part) { return !part.melody; });
    return voices.map(function (voice, v) {
        return { voice: voice, staff: firstStaff + (melodyFirst ? v + 1 : voice.instrument) };
    });
}

function targets(document, firstStaff, fromTick, toTick, melodyFirst) {
    // Which staff each part of the answer goes to, and why a part is left out.
    var chosen = [], skipped = [];
    var voices = voiceStaves(document, firstStaff, melodyFirst);
    for (var i = 0; i < voices.length; i++) {
        var staff = voices[i].staff, voice = voices[i].voice;
        if (staff >= score.nstaves)
            skipped.push(voice.name + " not written: no staff " + (staff + 1) + " (add staves below the melody)");
        else if (!voice.notes.length)
            skipped.push(voice.name + ": no notes");
        else if (!staffIsEmpty(staff, fromTick, toTick))
            skipped.push("staff " + (staff + 1) + " has notes of yours there: left as it is");
        else
            chosen.push({ staff: staff, notes: voice.notes });
    }
    return { chosen: chosen, skipped: skipped };
}

function writeParts(plan, fromTick, origin, prepare) {
    score.startCmd();   // one undo step for everything written, added bars included
    var notes = 0, staves = [];
    try {
        if (prepare)
            prepare();
        for (var i = 0; i < plan.chosen.length; i++) {
            notes += writeVoice(plan.chosen[i].staff, fromTick, plan.chosen[i].notes, origin);
            staves.push(plan.chosen[i].staff + 1);
        }
    } finally {
        score.endCmd();
    }
    return { notes: notes, staves: (staves.length > 1 ? "staves " : "staff ") + (staves.join(", ") || "none"),
             skipped: plan.skipped };
}

function writeHarmony(document, range, origin, selectionEnd) {
    return writeParts(targets(document, range.firstStaff, origin, selectionEnd, true), origin, origin);
}

function writeContinuation(document, range, origin, starts) {
    var from = origin + Math.round(document.start_beats * division);
    var to = origin + Math.round(document.end_beats * division);
    var scoreEnd = starts[starts.length - 1];
    if (starts.indexOf(from) < 0)
        throw new Error("the continuation starts at " + barAndBeat(from) + ", not on a barline: the bars before it "
                        + "are not all " + document.time_signature.join("/"));
    var plan = targets(document, range.firstStaff, from, to, false);
    function addBars() {
        if (to > scoreEnd) {
            var barTicks = Math.round(document.time_signature[0] * 4 * division / document.time_signature[1]);
            score.appendMeasures(Math.ceil((to - scoreEnd) / barTicks));
        }
    }
    return writeParts(plan, from, origin, addBars);
}

// -- running from a plugin's onRun ------------------------------------------------------------------------------

function run(fixedAction) {
    // What each plugin's onRun calls: with DJAI_LIVE_ACTION set (headless), act at once, print the outcome and
    // save to DJAI_LIVE_SAVE; in the program, act on the selection and show an error in a dialog.
    var started = Date.now(), env = {}, headless = false;
    try {
        env = environment();
        var action = env.DJAI_LIVE_ACTION || "";
        headless = action !== "";
        if (headless && action !== "harmonize" && action !== "continue")
            throw new Error("DJAI_LIVE_ACTION must be harmonize or continue, got " + action);
        if (headless && fixedAction && action !== fixedAction)
            throw new Error("DJAI_LIVE_ACTION=" + action + " but this plugin is the one that does " + fixedAction);
        action = fixedAction || action;
        if (!action)
            return "";   // the settings dialog, opened from the menu
        var report = act(action, headless, loadSettings(env), started);
        console.log("djai_live: " + report);
        if (env.DJAI_LIVE_SAVE) {
            var name = env.DJAI_LIVE_SAVE.replace(/\.mscx$/, "");
            if (!writeScore(score, name, "mscx"))
                throw new Error("cannot save the score to " + env.DJAI_LIVE_SAVE);
        }
        return report;
    } catch (error) {
        var message = error.message || String(error);
        console.error("djai_live: error: " + message);
        if (!headless) {
            errorBox.text = message;
            errorBox.open();
        }
        return "";
    }
}
