// "Continue selection": the bars after the selection, in the same staff (and, for a model of several
// instruments, the staves below for the others), in one undo step. The steps are in djai_live.js; settings
// in djai_live.qml (Plugins > djai_live).
import QtQuick 2.0
import QtQuick.Dialogs 1.2
import MuseScore 3.0
import FileIO 3.0
import "djai_live.js" as DjaiLive

MuseScore {
    menuPath: "Plugins.djai_live.Continue selection"
    description: "Continue the selected bars with djai-live: the next bars, in the meter and on the grid of the score."
    version: "0.1.0"
    requiresScore: true

    QProcess { id: shell; property int lastExit: -1; onFinished: lastExit = exitCode }
    FileIO { id: exchange }
    MessageDialog { id: errorBox; title: "djai_live: Continue selection"; icon: StandardIcon.Warning }

    onRun: DjaiLive.run("continue")
}
