// djai_live for MuseScore: the settings of "Harmonize selection" and "Continue selection" (the two plugins
// beside this one), and both actions from buttons. Run headless it acts at once: DJAI_LIVE_ACTION (harmonize
// or continue; with no selection, on the whole first staff), DJAI_LIVE_SAVE (an .mscx path to save to after
// acting) and DJAI_LIVE_COMMAND (the djai-live command line to run), as docs/musescore.md describes.
import QtQuick 2.0
import QtQuick.Controls 1.0
import QtQuick.Layouts 1.0
import QtQuick.Dialogs 1.2
import MuseScore 3.0
import FileIO 3.0
import "djai_live.js" as DjaiLive

MuseScore {
    id: plugin
    menuPath: "Plugins.djai_live.Settings and actions..."
    description: "djai-live in the score: harmonize a melody or continue the selected bars (settings and actions)."
    version: "0.1.0"
    pluginType: "dialog"
    requiresScore: false
    width: 420
    height: 300

    QProcess { id: shell; property int lastExit: -1; onFinished: lastExit = exitCode }
    FileIO { id: exchange }
    MessageDialog { id: errorBox; title: "djai_live"; icon: StandardIcon.Warning }

    function fields() {
        return { command: commandField.text, harmonize_model: harmonizeModelField.text,
                 continue_model: continueModelField.text, temperature: temperatureField.text,
                 seed: parseInt(seedField.text) || 0, bars: Math.max(1, parseInt(barsField.text) || 4),
                 grid: DjaiLive.DEFAULTS.grid, timeout_s: DjaiLive.DEFAULTS.timeout_s };
    }

    function actFromButton(action) {
        var started = Date.now();
        try {
            DjaiLive.saveSettings(fields());
            status.text = DjaiLive.act(action, false, DjaiLive.loadSettings(DjaiLive.environment()), started);
        } catch (error) {
            status.text = "";
            errorBox.text = error.message || String(error);
            errorBox.open();
        }
    }

    GridLayout {
        anchors.fill: parent
        anchors.margins: 10
        columns: 2
        Label { text: "djai-live command" }
        TextField { id: commandField; Layout.fillWidth: true }
        Label { text: "Harmonize with model" }
        TextField { id: harmonizeModelField; Layout.fillWidth: true }
        Label { text: "Continue with model" }
        TextField { id: continueModelField; Layout.fillWidth: true }
        Label { text: "Temperature (empty: the model's)" }
        TextField { id: temperatureField; Layout.fillWidth: true }
        Label { text: "Seed" }
        TextField { id: seedField; Layout.fillWidth: true }
        Label { text: "Bars to continue" }
        TextField { id: barsField; Layout.fillWidth: true }
        Button { text: "Harmonize selection"; onClicked: actFromButton("harmonize") }
        Button { text: "Continue selection"; onClicked: actFromButton("continue") }
        Label { id: status; Layout.columnSpan: 2; Layout.fillWidth: true; wrapMode: Text.Wrap }
    }

    onRun: {
        if (DjaiLive.run("") !== "")
            return;   // acted at once (DJAI_LIVE_ACTION): nothing to show
        try {
            var settings = DjaiLive.loadSettings({});
            commandField.text = settings.command;
            harmonizeModelField.text = settings.harmonize_model;
            continueModelField.text = settings.continue_model;
            temperatureField.text = String(settings.temperature);
            seedField.text = String(settings.seed);
            barsField.text = String(settings.bars);
        } catch (error) {
            errorBox.text = error.message || String(error);
            errorBox.open();
        }
    }
}
