<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="en">
<context>
    <name>HistorySidebar</name>
    <message numerus="yes">
        <source>%1 · %n answers</source>
        <translation>
            <numerusform>%1 · %n answer</numerusform>
            <numerusform>%1 · %n answers</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n found</source>
        <translation>
            <numerusform>%n found</numerusform>
            <numerusform>%n found</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ProblemSetWindow</name>
    <message numerus="yes">
        <source>%n problems from %1.</source>
        <translation>
            <numerusform>One problem from %1.</numerusform>
            <numerusform>%n problems from %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n lines were left out; the first: %1</source>
        <translation>
            <numerusform>One line was left out: %1</numerusform>
            <numerusform>%n lines were left out; the first: %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message numerus="yes">
        <source>Generating · %n tokens · %1</source>
        <translation>
            <numerusform>Generating · %n token · %1</numerusform>
            <numerusform>Generating · %n tokens · %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 · %n tokens</source>
        <translation>
            <numerusform>%1 · %n token</numerusform>
            <numerusform>%1 · %n tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 · %n tokens · %2 tok/s</source>
        <translation>
            <numerusform>%1 · %n token · %2 tok/s</numerusform>
            <numerusform>%1 · %n tokens · %2 tok/s</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TranscriptPage</name>
    <message numerus="yes">
        <source>%n steps</source>
        <translation>
            <numerusform>%n step</numerusform>
            <numerusform>%n steps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n checks</source>
        <translation>
            <numerusform>%n check</numerusform>
            <numerusform>%n checks</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n changes of approach</source>
        <translation>
            <numerusform>%n change of approach</numerusform>
            <numerusform>%n changes of approach</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n thoughts</source>
        <translation>
            <numerusform>%n thought</numerusform>
            <numerusform>%n thoughts</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n words</source>
        <translation>
            <numerusform>%n word</numerusform>
            <numerusform>%n words</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n tokens</source>
        <translation>
            <numerusform>%n token</numerusform>
            <numerusform>%n tokens</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TutorController</name>
    <message numerus="yes">
        <source>%n steps are still hidden. Show the final answer now, before working them out?</source>
        <translation>
            <numerusform>One step is still hidden. Show the final answer now, before working it out?</numerusform>
            <numerusform>%n steps are still hidden. Show the final answer now, before working them out?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n steps</source>
        <translation>
            <numerusform>%1 of %n step</numerusform>
            <numerusform>%1 of %n steps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n steps shown; Satori is still writing.</source>
        <translation>
            <numerusform>%1 of %n step shown; Satori is still writing.</numerusform>
            <numerusform>%1 of %n steps shown; Satori is still writing.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n steps shown. Press Space or → for the next hint.</source>
        <translation>
            <numerusform>%1 of %n step shown. Press Space or → for the next hint.</numerusform>
            <numerusform>%1 of %n steps shown. Press Space or → for the next hint.</numerusform>
        </translation>
    </message>
</context>
</TS>
