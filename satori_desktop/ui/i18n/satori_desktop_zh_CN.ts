<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>The diagnostics report is on the clipboard: paste it into your bug report. It holds no tokens or keys, and your home folder is written as ~.</source>
        <translation>诊断报告已复制到剪贴板：请把它粘贴到你的问题报告中。报告里没有任何令牌或密钥，你的主文件夹写作 ~。</translation>
    </message>
    <message>
        <source>no model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>%1 on %2, %3/%4 layers on the GPU, context %5</source>
        <translation>%1，运行于 %2，%3/%4 层在 GPU 上，上下文 %5</translation>
    </message>
    <message>
        <source>%1 on %2, %3 layers on the CPU, context %4</source>
        <translation>%1，运行于 %2，%3 层在 CPU 上，上下文 %4</translation>
    </message>
    <message>
        <source>About %1</source>
        <translation>关于 %1</translation>
    </message>
    <message>
        <source>reading…</source>
        <translation>正在读取…</translation>
    </message>
    <message>
        <source>Backend:</source>
        <translation>后端：</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Licence:</source>
        <translation>许可证：</translation>
    </message>
    <message>
        <source>Model licence:</source>
        <translation>模型许可证：</translation>
    </message>
    <message>
        <source>&amp;Copy diagnostics</source>
        <translation>复制诊断信息(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Open log folder</source>
        <translation>打开日志文件夹(&amp;O)</translation>
    </message>
    <message>
        <source>%1 build, GPU offload</source>
        <translation>%1 版本，支持 GPU 加速</translation>
    </message>
    <message>
        <source>%1 build, no GPU offload</source>
        <translation>%1 版本，不支持 GPU 加速</translation>
    </message>
    <message>
        <source>unavailable (%1)</source>
        <translation>不可用（%1）</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Gathering…</source>
        <translation>正在收集…</translation>
    </message>
    <message>
        <source>An offline math assistant: the Satori-7B-Round2 reasoning model runs on this computer through llama.cpp and shows each step of its reasoning.</source>
        <translation>离线数学助手：Satori-7B-Round2 推理模型通过 llama.cpp 在这台电脑上运行，并展示推理的每一步。</translation>
    </message>
    <message>
        <source>Satori-7B-Round2 is a fine-tune of Qwen2.5-Math-7B; for its licence, see the model&apos;s page on the Hugging Face hub.</source>
        <translation>Satori-7B-Round2 是在 Qwen2.5-Math-7B 基础上微调的模型；其许可证请见该模型在 Hugging Face Hub 上的页面。</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Satori Desktop ran into a bug and may not work properly until it is restarted; the details are in the log file %1.</source>
        <translation>Satori Desktop 遇到了一个程序错误，在重新启动之前可能无法正常工作；详细信息在日志文件 %1 中。</translation>
    </message>
    <message>
        <source>The model file %1 does not exist: check the path, or start without --model to use the default installed model.</source>
        <translation>模型文件 %1 不存在：请检查路径，或者不带 --model 启动，以使用已安装的默认模型。</translation>
    </message>
</context>
<context>
    <name>BackgroundJob</name>
    <message>
        <source>gathering the diagnostics</source>
        <translation>收集诊断信息</translation>
    </message>
    <message>
        <source>reading the llama.cpp build</source>
        <translation>读取 llama.cpp 版本信息</translation>
    </message>
    <message>
        <source>Something went wrong while %1; the details are in the log file %2.</source>
        <translation>%1时出了问题；详细信息在日志文件 %2 中。</translation>
    </message>
    <message>
        <source>downloading the model</source>
        <translation>下载模型</translation>
    </message>
    <message>
        <source>looking at this computer</source>
        <translation>检测这台电脑</translation>
    </message>
    <message>
        <source>opening the history</source>
        <translation>打开历史记录</translation>
    </message>
    <message>
        <source>importing the model</source>
        <translation>导入模型</translation>
    </message>
    <message>
        <source>checking the model file</source>
        <translation>校验模型文件</translation>
    </message>
    <message>
        <source>asking the hub for models</source>
        <translation>向 Hugging Face Hub 查询模型</translation>
    </message>
    <message>
        <source>checking your answer</source>
        <translation>检查你的答案</translation>
    </message>
    <message>
        <source>comparing the answers</source>
        <translation>比较答案</translation>
    </message>
    <message>
        <source>grading the answers</source>
        <translation>评分</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Type a math problem, e.g. Solve x^2 - 5x + 6 = 0. LaTeX like $\frac{1}{2}$ works. Enter sends, Shift+Enter starts a new line.</source>
        <translation>输入一道数学题，例如：解方程 x^2 - 5x + 6 = 0。可以使用 LaTeX，如 $\frac{1}{2}$。按 Enter 发送，Shift+Enter 换行。</translation>
    </message>
    <message>
        <source>Solve</source>
        <translation>求解</translation>
    </message>
    <message>
        <source>Send the problem (Enter)</source>
        <translation>发送题目（Enter）</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the answer being written (Esc)</source>
        <translation>停止正在生成的回答（Esc）</translation>
    </message>
    <message>
        <source>Solve %1×</source>
        <translation>解 %1 次</translation>
    </message>
    <message>
        <source>Solve it %1 times at once and show the answer most solutions agree on (Ctrl+Enter)</source>
        <translation>同时解 %1 次，并显示多数解答一致的答案（Ctrl+Enter）</translation>
    </message>
</context>
<context>
    <name>CopyMenu</name>
    <message>
        <source>Copy for &amp;Word / PowerPoint / Pages</source>
        <translation>复制到 Word / PowerPoint / Pages(&amp;W)</translation>
    </message>
    <message>
        <source>Copy &amp;LaTeX</source>
        <translation>复制 LaTeX(&amp;L)</translation>
    </message>
    <message>
        <source>Copy &amp;Markdown</source>
        <translation>复制 Markdown(&amp;M)</translation>
    </message>
    <message>
        <source>Copy as plain &amp;text</source>
        <translation>复制为纯文本(&amp;T)</translation>
    </message>
    <message>
        <source>Copy as &amp;picture</source>
        <translation>复制为图片(&amp;P)</translation>
    </message>
    <message>
        <source>Copy step as Mar&amp;kdown</source>
        <translation>将此步复制为 Markdown(&amp;K)</translation>
    </message>
    <message>
        <source>Copy step for W&amp;ord</source>
        <translation>复制此步到 Word(&amp;O)</translation>
    </message>
    <message>
        <source>Copy solution as Markdow&amp;n</source>
        <translation>将解答复制为 Markdown(&amp;N)</translation>
    </message>
    <message>
        <source>Copy solution for Wor&amp;d</source>
        <translation>复制解答到 Word(&amp;D)</translation>
    </message>
    <message>
        <source>Copied for Word, PowerPoint and Pages.</source>
        <translation>已复制，可粘贴到 Word、PowerPoint 和 Pages。</translation>
    </message>
    <message>
        <source>Copied the LaTeX.</source>
        <translation>已复制 LaTeX。</translation>
    </message>
    <message>
        <source>Copied as Markdown.</source>
        <translation>已复制为 Markdown。</translation>
    </message>
    <message>
        <source>Copied as plain text.</source>
        <translation>已复制为纯文本。</translation>
    </message>
    <message>
        <source>Copied as a picture.</source>
        <translation>已复制为图片。</translation>
    </message>
    <message>
        <source>Copied the step as Markdown.</source>
        <translation>已将此步复制为 Markdown。</translation>
    </message>
    <message>
        <source>Copied the step for Word.</source>
        <translation>已复制此步，可粘贴到 Word。</translation>
    </message>
    <message>
        <source>Copied the solution as Markdown.</source>
        <translation>已将解答复制为 Markdown。</translation>
    </message>
    <message>
        <source>Copied the solution for Word.</source>
        <translation>已复制解答，可粘贴到 Word。</translation>
    </message>
    <message>
        <source>%1 Its LaTeX was copied instead.</source>
        <translation>%1 已改为复制它的 LaTeX 源码。</translation>
    </message>
    <message>
        <source>This formula has no plain-text form (a matrix or a layout Unicode cannot write).</source>
        <translation>此公式无法写成纯文本（例如矩阵，或 Unicode 无法表示的排版）。</translation>
    </message>
    <message>
        <source>The picture of this formula could not be made.</source>
        <translation>无法生成此公式的图片。</translation>
    </message>
    <message>
        <source>%1 One formula could not be converted and is there as LaTeX: %2</source>
        <translation>%1 有一个公式无法转换，以 LaTeX 形式保留：%2</translation>
    </message>
    <message>
        <source>%1 %2 formulas could not be converted and are there as LaTeX, the first: %3</source>
        <translation>%1 有 %2 个公式无法转换，以 LaTeX 形式保留，第一个是：%3</translation>
    </message>
    <message>
        <source>That step is no longer on the page.</source>
        <translation>该步骤已不在页面上。</translation>
    </message>
    <message>
        <source>There is no solution to copy yet.</source>
        <translation>还没有可复制的解答。</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>题目</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>Checking the work</source>
        <translation>自我检查</translation>
    </message>
    <message>
        <source>Trying another way</source>
        <translation>换一种思路</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考过程</translation>
    </message>
</context>
<context>
    <name>CrashReportDialog</name>
    <message>
        <source>(the report could not be read)</source>
        <translation>（无法读取崩溃报告）</translation>
    </message>
    <message>
        <source>&amp;Copy details</source>
        <translation>复制详细信息(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Open log folder</source>
        <translation>打开日志文件夹(&amp;O)</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
</context>
<context>
    <name>DocumentLabels</name>
    <message>
        <source>Question</source>
        <translation>题目</translation>
    </message>
    <message>
        <source>Question {number}</source>
        <translation>第 {number} 题</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>Solution</source>
        <translation>解答</translation>
    </message>
    <message>
        <source>Next step</source>
        <translation>下一步</translation>
    </message>
    <message>
        <source>Checking the work (reflect)</source>
        <translation>自我检查</translation>
    </message>
    <message>
        <source>Trying another way (explore)</source>
        <translation>换一种思路</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考过程</translation>
    </message>
</context>
<context>
    <name>DownloadPanel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>Asking the hub for the file…</source>
        <translation>正在向 Hugging Face Hub 查询文件…</translation>
    </message>
    <message>
        <source>Checking what was already downloaded: %1…</source>
        <translation>正在检查已下载的部分：%1…</translation>
    </message>
    <message>
        <source>Step 2 of 2: checking the file&apos;s sha256 against the hub&apos;s…</source>
        <translation>第 2 步（共 2 步）：正在将文件的 SHA-256 与 Hub 上的核对…</translation>
    </message>
    <message>
        <source>Downloaded and verified.</source>
        <translation>已下载并校验。</translation>
    </message>
    <message>
        <source>Step 1 of 2: %1 of %2</source>
        <translation>第 1 步（共 2 步）：%1 / %2</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>还剩约 %1</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Pausing…</source>
        <translation>正在暂停…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Paused: what was downloaded is kept; Resume goes on from there.</source>
        <translation>已暂停：已下载的部分会保留，点“继续”从断点接着下载。</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
</context>
<context>
    <name>EngineWorker</name>
    <message>
        <source>No model is loaded yet: wait for it to finish loading, or choose a model.</source>
        <translation>还没有加载模型：请等待加载完成，或者选择一个模型。</translation>
    </message>
    <message>
        <source>Something went wrong while %1; the details are in the log file %2.</source>
        <translation>%1时出了问题；详细信息在日志文件 %2 中。</translation>
    </message>
    <message>
        <source>loading the model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <source>connecting to the server</source>
        <translation>连接服务器</translation>
    </message>
    <message>
        <source>generating the answer</source>
        <translation>生成回答</translation>
    </message>
    <message>
        <source>generating the solutions</source>
        <translation>生成这些解答</translation>
    </message>
    <message>
        <source>solving the problem set</source>
        <translation>解题集</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Word document</source>
        <translation>Word 文档</translation>
    </message>
    <message>
        <source>PDF</source>
        <translation>PDF</translation>
    </message>
    <message>
        <source>Web page</source>
        <translation>网页</translation>
    </message>
    <message>
        <source>LaTeX</source>
        <translation>LaTeX</translation>
    </message>
    <message>
        <source>Markdown</source>
        <translation>Markdown</translation>
    </message>
    <message>
        <source>Picture (PNG)</source>
        <translation>图片 (PNG)</translation>
    </message>
    <message>
        <source>Export the conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>There is nothing to export yet: ask a question first.</source>
        <translation>还没有可导出的内容：请先提一个问题。</translation>
    </message>
    <message>
        <source>The export to %1 failed; the log file says why.</source>
        <translation>导出到 %1 失败；原因请见日志文件。</translation>
    </message>
    <message>
        <source>Exported to %1. %2 formulas are not valid LaTeX and are written as their source there.</source>
        <translation>已导出到 %1。其中 %2 个公式不是有效的 LaTeX，已按源码写入。</translation>
    </message>
</context>
<context>
    <name>FileManager</name>
    <message>
        <source>The folder %1 could not be created (%2): check its permissions.</source>
        <translation>无法创建文件夹 %1（%2）：请检查它的权限。</translation>
    </message>
    <message>
        <source>The folder %1 could not be opened here: open it in your file manager.</source>
        <translation>无法在这里打开文件夹 %1：请在文件管理器中打开它。</translation>
    </message>
</context>
<context>
    <name>FirstRunPage</name>
    <message>
        <source>Welcome to Satori Desktop</source>
        <translation>欢迎使用 Satori Desktop</translation>
    </message>
    <message>
        <source>Satori is a math assistant that reasons step by step, checks its own work and tries another way when it finds a flaw. It runs entirely on this computer.</source>
        <translation>Satori 是一个数学助手：它一步一步地推理，会自我检查，发现漏洞时会换一种思路。它完全在这台电脑上运行。</translation>
    </message>
    <message>
        <source>Looking at this computer…</source>
        <translation>正在检测这台电脑…</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Discard it</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <source>Download from a mirror…</source>
        <translation>从镜像下载…</translation>
    </message>
    <message>
        <source>I already have a GGUF file…</source>
        <translation>我已经有 GGUF 文件…</translation>
    </message>
    <message>
        <source>The hub cannot be reached right now, so the sizes are estimates. The download needs an internet connection; where huggingface.co is blocked, a mirror of it can serve the download instead, and a GGUF file you already have works without either.</source>
        <translation>现在无法连接 Hugging Face Hub，因此大小为估计值。下载需要联网；在无法访问 huggingface.co 的地方，可以改用它的镜像下载；已有的 GGUF 文件则两者都不需要。</translation>
    </message>
    <message>
        <source>Choose a GGUF model file</source>
        <translation>选择 GGUF 模型文件</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Downloaded and verified: %1. Loading it…</source>
        <translation>已下载并校验：%1。正在加载…</translation>
    </message>
    <message>
        <source>A download of %1 stopped at %2 (%3 of %4). Resume it, or discard what was downloaded?</source>
        <translation>%1 的下载停在了 %2（%3 / %4）。要继续下载，还是丢弃已下载的部分？</translation>
    </message>
    <message>
        <source>Resume the download (%1 to go)</source>
        <translation>继续下载（还剩 %1）</translation>
    </message>
    <message>
        <source>You can still import a GGUF file you already have.</source>
        <translation>你仍然可以导入已有的 GGUF 文件。</translation>
    </message>
    <message>
        <source>about %1</source>
        <translation>约 %1</translation>
    </message>
    <message>
        <source>the %1 file</source>
        <translation>%1 文件</translation>
    </message>
    <message>
        <source>Satori will download %1 (%2) from %3 into %4. After that it runs offline: no question ever leaves this computer.</source>
        <translation>Satori 将从 %3 下载 %1（%2）到 %4。之后它会离线运行：你的任何问题都不会离开这台电脑。</translation>
    </message>
    <message>
        <source>Download %1 (%2)</source>
        <translation>下载 %1（%2）</translation>
    </message>
    <message>
        <source>Download it (%1)</source>
        <translation>下载（%1）</translation>
    </message>
</context>
<context>
    <name>HistorySidebar</name>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>过去 7 天</translation>
    </message>
    <message>
        <source>Previous 30 days</source>
        <translation>过去 30 天</translation>
    </message>
    <message>
        <source>MMMM yyyy</source>
        <comment>a month, as Qt writes dates</comment>
        <translation>yyyy年M月</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>dd MMM yyyy, HH:mm</source>
        <comment>a date and time, as Qt writes them</comment>
        <translation>yyyy年M月d日 HH:mm</translation>
    </message>
    <message numerus="yes">
        <source>%1 · %n answers</source>
        <translation>
            <numerusform>%1 · %n 个回答</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 · the last answer was interrupted</source>
        <translation>%1 · 最后一个回答被中断了</translation>
    </message>
    <message numerus="yes">
        <source>%n found</source>
        <translation>
            <numerusform>找到 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <source>Nothing found</source>
        <translation>没有找到</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Wait for the answer to finish (or press Stop) before opening another model.</source>
        <translation>请等回答结束（或按“停止”）后再打开另一个模型。</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New conversation</source>
        <translation>新对话(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open a model file…</source>
        <translation>打开模型文件(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>S&amp;hared server…</source>
        <translation>共享服务器(&amp;H)…</translation>
    </message>
    <message>
        <source>Solve a &amp;problem set…</source>
        <translation>解一个题集(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>Copy the &amp;answer (LaTeX)</source>
        <translation>复制答案（LaTeX）(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Stop</source>
        <translation>停止(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Type a problem</source>
        <translation>输入题目(&amp;T)</translation>
    </message>
    <message>
        <source>Searc&amp;h the history</source>
        <translation>搜索历史记录(&amp;H)</translation>
    </message>
    <message>
        <source>Copy solution as &amp;Markdown</source>
        <translation>将解答复制为 Markdown(&amp;M)</translation>
    </message>
    <message>
        <source>Copy solution for &amp;Word</source>
        <translation>复制解答到 Word(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Keep checking/exploring sections open</source>
        <translation>保持“自我检查/换一种思路”部分展开(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;History sidebar</source>
        <translation>历史记录侧栏(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Tutor</source>
        <translation>辅导(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Tutor mode</source>
        <translation>辅导模式(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Next step</source>
        <translation>下一步(&amp;N)</translation>
    </message>
    <message>
        <source>Space or → in the transcript</source>
        <translation>在解答区按空格键或 →</translation>
    </message>
    <message>
        <source>Show the &amp;answer</source>
        <translation>显示答案(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Check my answer</source>
        <translation>检查我的答案(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Satori Desktop</source>
        <translation>关于 Satori Desktop(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Copy diagnostics</source>
        <translation>复制诊断信息(&amp;C)</translation>
    </message>
    <message>
        <source>Open the &amp;log folder</source>
        <translation>打开日志文件夹(&amp;L)</translation>
    </message>
    <message>
        <source>Solve a problem set</source>
        <translation>解一个题集</translation>
    </message>
    <message>
        <source>Problem sets (*.jsonl *.json *.csv)</source>
        <translation>题集 (*.jsonl *.json *.csv)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Satori is busy with another answer, or the model is still loading; try again then.</source>
        <translation>Satori 正在写另一个答案，或者模型还在加载；请稍后再试。</translation>
    </message>
    <message>
        <source>Server settings…</source>
        <translation>服务器设置…</translation>
    </message>
    <message>
        <source>The models folder could not be changed: %1</source>
        <translation>无法更改模型文件夹：%1</translation>
    </message>
    <message>
        <source>The context size, GPU layers and CPU threads apply when the model is loaded again. Reload it now?</source>
        <translation>上下文长度、GPU 层数和 CPU 线程数要在重新加载模型后才生效。现在重新加载吗？</translation>
    </message>
    <message>
        <source>Show the answer first: tutor mode still hides it.</source>
        <translation>请先显示答案：辅导模式下答案仍被隐藏。</translation>
    </message>
    <message>
        <source>There is no boxed answer to copy yet.</source>
        <translation>还没有可复制的最终答案。</translation>
    </message>
    <message>
        <source>Copied the answer: %1</source>
        <translation>已复制答案：%1</translation>
    </message>
    <message>
        <source>Your settings could not be saved (%1); they apply until Satori Desktop closes.</source>
        <translation>无法保存你的设置（%1）；它们在 Satori Desktop 关闭前有效。</translation>
    </message>
    <message>
        <source>Deleted “%1”.</source>
        <translation>已删除“%1”。</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>The last answer was interrupted when Satori Desktop closed; what was written is kept above.</source>
        <translation>上一个回答在 Satori Desktop 关闭时被中断了；已经写出的内容保留在上方。</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
</context>
<context>
    <name>ModelsWindow</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Quantisation</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Verified</source>
        <translation>已校验</translation>
    </message>
    <message>
        <source>Default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>This machine</source>
        <translation>这台电脑</translation>
    </message>
    <message>
        <source>imported</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>%1 (from the Hugging Face cache)</source>
        <translation>%1（来自 Hugging Face 缓存）</translation>
    </message>
    <message>
        <source>the hub</source>
        <translation>Hugging Face Hub</translation>
    </message>
    <message>
        <source>File missing</source>
        <translation>文件缺失</translation>
    </message>
    <message>
        <source>Damaged</source>
        <translation>已损坏</translation>
    </message>
    <message>
        <source>Yes, checked %1</source>
        <translation>是，于 %1 校验</translation>
    </message>
    <message>
        <source>Yes, when downloaded</source>
        <translation>是，下载时已校验</translation>
    </message>
    <message>
        <source>Not checked yet</source>
        <translation>尚未校验</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Too big for this machine</source>
        <translation>这台电脑装不下</translation>
    </message>
    <message>
        <source>Fits: all on the GPU</source>
        <translation>可运行：全部在 GPU 上</translation>
    </message>
    <message>
        <source>Fits: %1 of %2 layers on the GPU</source>
        <translation>可运行：%2 层中 %1 层在 GPU 上</translation>
    </message>
    <message>
        <source>Fits: runs on the CPU</source>
        <translation>可运行：在 CPU 上运行</translation>
    </message>
    <message>
        <source>%1 · recommended</source>
        <translation>%1 · 推荐</translation>
    </message>
    <message>
        <source>%1 is verified: %2.</source>
        <translation>%1 已校验：%2。</translation>
    </message>
    <message>
        <source>the %1 file</source>
        <translation>%1 文件</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Move…</source>
        <translation>移动…</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用这个模型</translation>
    </message>
    <message>
        <source>Make default</source>
        <translation>设为默认</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>移除…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Models folder: %1</source>
        <translation>模型文件夹：%1</translation>
    </message>
    <message>
        <source>No model is installed yet: choose one below and press Download.</source>
        <translation>还没有安装任何模型：请在下面选择一个，然后点“下载”。</translation>
    </message>
    <message>
        <source>%1 (in use)</source>
        <translation>%1（使用中）</translation>
    </message>
    <message>
        <source>The file of %1 is missing (%2): download or import it again.</source>
        <translation>%1 的文件缺失（%2）：请重新下载或导入。</translation>
    </message>
    <message>
        <source>Loading %1: the main window shows how far it got.</source>
        <translation>正在加载 %1：主窗口会显示加载进度。</translation>
    </message>
    <message>
        <source>Could not make it the default (%1): check the folder&apos;s permissions and free space, then try again.</source>
        <translation>无法设为默认（%1）：请检查文件夹的权限和剩余空间，然后重试。</translation>
    </message>
    <message>
        <source>%1 is now the default model: it is the one loaded when Satori Desktop starts.</source>
        <translation>%1 现在是默认模型：Satori Desktop 启动时会加载它。</translation>
    </message>
    <message>
        <source>Checking the sha256 of %1 (%2)…</source>
        <translation>正在校验 %1 的 SHA-256（%2）…</translation>
    </message>
    <message>
        <source>%1 is the model in use: load another model first, then remove it.</source>
        <translation>%1 正在使用中：请先加载另一个模型，再移除它。</translation>
    </message>
    <message>
        <source>Remove a model</source>
        <translation>移除模型</translation>
    </message>
    <message>
        <source>Remove %1 from the list? Its file is missing already.</source>
        <translation>要从列表中移除 %1 吗？它的文件已经不在了。</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove %1? Its file %2 (%3) will be deleted from the models folder.</source>
        <translation>要移除 %1 吗？它的文件 %2（%3）将从模型文件夹中删除。</translation>
    </message>
    <message>
        <source>You can download it again later.</source>
        <translation>以后可以重新下载。</translation>
    </message>
    <message>
        <source>Delete the file</source>
        <translation>删除文件</translation>
    </message>
    <message>
        <source>Remove %1 from the list? Its file is not in the models folder, so it is only forgotten: it stays where it is (%2).</source>
        <translation>要从列表中移除 %1 吗？它的文件不在模型文件夹中，所以只是不再列出：文件仍留在原处（%2）。</translation>
    </message>
    <message>
        <source>Forget it</source>
        <translation>不再列出</translation>
    </message>
    <message>
        <source>Could not remove %1 (%2): check the folder&apos;s permissions and free space, then try again.</source>
        <translation>无法移除 %1（%2）：请检查文件夹的权限和剩余空间，然后重试。</translation>
    </message>
    <message>
        <source>Removed %1; its file was deleted.</source>
        <translation>已移除 %1；它的文件已删除。</translation>
    </message>
    <message>
        <source>Removed %1 from the list; its file stays in %2.</source>
        <translation>已从列表中移除 %1；它的文件仍在 %2 中。</translation>
    </message>
    <message>
        <source>Wait for the download to finish (or cancel it) before moving the models folder.</source>
        <translation>请等下载完成（或取消下载）后再移动模型文件夹。</translation>
    </message>
    <message>
        <source>Choose the new models folder</source>
        <translation>选择新的模型文件夹</translation>
    </message>
    <message>
        <source>Could not make %1 the models folder (%2): check the folder&apos;s permissions and free space, then try again.</source>
        <translation>无法把 %1 设为模型文件夹（%2）：请检查文件夹的权限和剩余空间，然后重试。</translation>
    </message>
    <message>
        <source>%1 is the models folder already.</source>
        <translation>%1 已经是模型文件夹了。</translation>
    </message>
    <message>
        <source>New downloads go to %1. The models already installed stay where they are (in %2 or wherever they were imported from) and are still listed.</source>
        <translation>新的下载将保存到 %1。已安装的模型留在原处（在 %2 中，或在导入时所在的位置），仍会列在这里。</translation>
    </message>
    <message>
        <source>Looking at this computer and asking the hub what there is…</source>
        <translation>正在检测这台电脑，并向 Hugging Face Hub 查询可用的模型…</translation>
    </message>
    <message>
        <source>The hub cannot be reached right now, so this is the built-in list with estimated sizes; downloading needs an internet connection. Where huggingface.co is blocked, a mirror of it can be chosen in Settings &gt; Files.</source>
        <translation>现在无法连接 Hugging Face Hub，因此这是内置列表，大小为估计值；下载需要联网。在无法访问 huggingface.co 的地方，可以在“设置 &gt; 文件”中选择它的镜像。</translation>
    </message>
    <message>
        <source>about %1</source>
        <translation>约 %1</translation>
    </message>
    <message>
        <source>%1 (installed)</source>
        <translation>%1（已安装）</translation>
    </message>
    <message>
        <source>%1 is installed already: it is in the list above.</source>
        <translation>%1 已经安装：它在上面的列表中。</translation>
    </message>
    <message>
        <source>Downloaded and verified: %1.</source>
        <translation>已下载并校验：%1。</translation>
    </message>
    <message>
        <source>Downloaded and verified %1: it is in the list above as %2.</source>
        <translation>已下载并校验 %1：它以 %2 的名称列在上面。</translation>
    </message>
    <message>
        <source>Installed models</source>
        <translation>已安装的模型</translation>
    </message>
    <message>
        <source>Download another model</source>
        <translation>下载其他模型</translation>
    </message>
</context>
<context>
    <name>NoticeBar</name>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>ProblemSetWindow</name>
    <message>
        <source>Problem set: %1</source>
        <translation>题集：%1</translation>
    </message>
    <message>
        <source>Solve </source>
        <translation>每次解 </translation>
    </message>
    <message>
        <source> at a time</source>
        <translation> 道</translation>
    </message>
    <message>
        <source>Solve all</source>
        <translation>全部解答</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Export results…</source>
        <translation>导出结果…</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>题目</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>参考答案</translation>
    </message>
    <message>
        <source>Grade</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>用时</translation>
    </message>
    <message>
        <source>Results written to %1.</source>
        <translation>结果已写入 %1。</translation>
    </message>
    <message>
        <source>Problem %1</source>
        <translation>第 %1 题</translation>
    </message>
    <message>
        <source>✓ correct</source>
        <translation>✓ 正确</translation>
    </message>
    <message>
        <source>✗ wrong</source>
        <translation>✗ 错误</translation>
    </message>
    <message>
        <source>— no answer</source>
        <translation>— 没有答案</translation>
    </message>
    <message>
        <source>? could not compare</source>
        <translation>? 无法比较</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source>solving…</source>
        <translation>正在解…</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>grading…</source>
        <translation>正在评分…</translation>
    </message>
    <message numerus="yes">
        <source>%n problems from %1.</source>
        <translation>
            <numerusform>来自 %1 的 %n 道题。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n lines were left out; the first: %1</source>
        <translation>
            <numerusform>有 %n 行被跳过；第一行：%1</numerusform>
        </translation>
    </message>
    <message>
        <source>The file has no answers to grade against.</source>
        <translation>这个文件没有可用于评分的答案。</translation>
    </message>
    <message>
        <source>%1 of %2 solved</source>
        <translation>已解 %1 道（共 %2 道）</translation>
    </message>
    <message>
        <source>Accuracy: %1 of %2 correct (%3%).</source>
        <translation>正确率：%2 道中答对 %1 道（%3%）。</translation>
    </message>
    <message>
        <source>%1 solved in %2 s (%3 problems a minute).</source>
        <translation>%2 秒内解了 %1 道（每分钟 %3 道）。</translation>
    </message>
    <message>
        <source>Export the results</source>
        <translation>导出结果</translation>
    </message>
    <message>
        <source>JSON Lines (*.jsonl)</source>
        <translation>JSON Lines (*.jsonl)</translation>
    </message>
    <message>
        <source>CSV (*.csv)</source>
        <translation>CSV (*.csv)</translation>
    </message>
    <message>
        <source>The results could not be written to %1 (%2).</source>
        <translation>结果无法写入 %1（%2）。</translation>
    </message>
</context>
<context>
    <name>SamplesController</name>
    <message>
        <source>None of the %1 solutions has a final answer.</source>
        <translation>%1 个解答都没有给出最终答案。</translation>
    </message>
    <message>
        <source>%1 of %2 solutions agree:</source>
        <translation>%2 个解答中有 %1 个一致：</translation>
    </message>
    <message>
        <source>Solving %1 times: %2 done…</source>
        <translation>正在解 %1 次：已完成 %2 个…</translation>
    </message>
    <message>
        <source>Stopped before the solutions were in.</source>
        <translation>在解答完成之前已停止。</translation>
    </message>
    <message>
        <source>%1 tokens…</source>
        <translation>%1 个词元…</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>%1 tokens, cut off at the limit</source>
        <translation>%1 个词元，达到上限被截断</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>%1 个词元</translation>
    </message>
    <message>
        <source>Solution %1</source>
        <translation>第 %1 个解答</translation>
    </message>
    <message>
        <source>Solution %1 of %2</source>
        <translation>第 %1 个解答（共 %2 个）</translation>
    </message>
</context>
<context>
    <name>Sentences</name>
    <message>
        <source>This computer: %1 RAM (%2 free), no GPU found; GPU offload available.</source>
        <translation>这台电脑：内存 %1（可用 %2），未找到 GPU；支持 GPU 加速。</translation>
    </message>
    <message>
        <source>This computer: %1 RAM (%2 free), no GPU found; GPU offload not available.</source>
        <translation>这台电脑：内存 %1（可用 %2），未找到 GPU；不支持 GPU 加速。</translation>
    </message>
    <message>
        <source>This computer: %1 RAM (%2 free), %3, %4 free; GPU offload available.</source>
        <translation>这台电脑：内存 %1（可用 %2），%3（可用显存 %4）；支持 GPU 加速。</translation>
    </message>
    <message>
        <source>This computer: %1 RAM (%2 free), %3, %4 free; GPU offload not available.</source>
        <translation>这台电脑：内存 %1（可用 %2），%3（可用显存 %4）；不支持 GPU 加速。</translation>
    </message>
    <message>
        <source>No file sizes are known (the hub could not be asked): connect to the internet and run `satori-desktop models recommend` again.</source>
        <translation>不知道任何文件的大小（无法查询 Hugging Face Hub）：请联网后再次运行 `satori-desktop models recommend`。</translation>
    </message>
    <message>
        <source>%1 (Sizes estimated: the hub could not be asked.)</source>
        <translation>%1 由于无法查询 Hugging Face Hub，文件大小为估计值。</translation>
    </message>
    <message>
        <source>None of the files fits this machine: even %1 needs about %2 of RAM and there is %3 in total; use a computer with more memory.</source>
        <translation>没有哪个文件能在这台电脑上运行：即使是 %1 也需要约 %2 内存，而这里总共只有 %3；请使用内存更大的电脑。</translation>
    </message>
    <message>
        <source>%1 fits entirely in the %2&apos;s %3 of free memory (needs about %4 with a %5-token context), so every layer runs on the GPU.</source>
        <translation>%1 可以完全放进 %2 的 %3 可用显存（上下文为 %5 个词元时约需 %4），所以每一层都在 GPU 上运行。</translation>
    </message>
    <message>
        <source>%1 runs with %2 of its %3 layers on the %4 (%5 free) and the rest in RAM; no file fits the GPU entirely.</source>
        <translation>%1 的 %3 层中有 %2 层在 %4（可用 %5）上运行，其余在内存中；没有哪个文件能完全放进 GPU。</translation>
    </message>
    <message>
        <source>%1 needs about %2 of RAM of the %3 here; this llama.cpp build has no GPU support, so it runs on the CPU (expect a few tokens per second).</source>
        <translation>%1 需要约 %2 内存（这里共有 %3）；这个 llama.cpp 版本不支持 GPU，所以它在 CPU 上运行（预计每秒几个词元）。</translation>
    </message>
    <message>
        <source>%1 needs about %2 of RAM of the %3 here; the GPU&apos;s free memory is unknown, so it runs on the CPU (expect a few tokens per second).</source>
        <translation>%1 需要约 %2 内存（这里共有 %3）；GPU 的可用显存未知，所以它在 CPU 上运行（预计每秒几个词元）。</translation>
    </message>
    <message>
        <source>%1 needs about %2 of RAM of the %3 here; the %4&apos;s %5 free is too little for even one layer, so it runs on the CPU (expect a few tokens per second).</source>
        <translation>%1 需要约 %2 内存（这里共有 %3）；%4 的可用显存 %5 连一层都放不下，所以它在 CPU 上运行（预计每秒几个词元）。</translation>
    </message>
    <message>
        <source>d MMM yyyy &apos;at&apos; HH:mm</source>
        <comment>a date and time, as Qt writes them</comment>
        <translation>yyyy年M月d日 HH:mm</translation>
    </message>
    <message>
        <source>Satori Desktop closed unexpectedly last time, on %1, but its crash report could not be read (%2); it is kept in %3.</source>
        <translation>Satori Desktop 上次在 %1 意外关闭，但无法读取它的崩溃报告（%2）；报告保存在 %3。</translation>
    </message>
    <message>
        <source>the log file %1</source>
        <translation>日志文件 %1</translation>
    </message>
    <message>
        <source>Satori Desktop closed unexpectedly last time, on %1 (%2). If it happens again, please report it with the details, which are kept in %3.</source>
        <translation>Satori Desktop 上次在 %1 意外关闭（%2）。如果再次发生，请附上详细信息报告这个问题；详细信息保存在 %3。</translation>
    </message>
    <message>
        <source>Satori Desktop closed unexpectedly last time, on %1. If it happens again, please report it with the details, which are kept in %2.</source>
        <translation>Satori Desktop 上次在 %1 意外关闭。如果再次发生，请附上详细信息报告这个问题；详细信息保存在 %2。</translation>
    </message>
</context>
<context>
    <name>ServerDialog</name>
    <message>
        <source>Shared server</source>
        <translation>共享服务器</translation>
    </message>
    <message>
        <source>This computer: the model chosen in File &gt; Models…</source>
        <translation>本机：在“文件 &gt; 模型…”中选择的模型</translation>
    </message>
    <message>
        <source>A shared Satori server (llama-server or vLLM)</source>
        <translation>共享的 Satori 服务器（llama-server 或 vLLM）</translation>
    </message>
    <message>
        <source>http://gpu-box:8080 (several: separate them with commas)</source>
        <translation>http://gpu-box:8080（多个地址请用逗号分隔）</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>地址(&amp;A)：</translation>
    </message>
    <message>
        <source>the one the server offers</source>
        <translation>服务器提供的模型</translation>
    </message>
    <message>
        <source>&amp;Model name:</source>
        <translation>模型名称(&amp;M)：</translation>
    </message>
    <message>
        <source>the key the server&apos;s owner gave you, if any</source>
        <translation>服务器管理员提供的密钥（如有）</translation>
    </message>
    <message>
        <source>API &amp;key:</source>
        <translation>API 密钥(&amp;K)：</translation>
    </message>
    <message>
        <source>Show the key</source>
        <translation>显示密钥</translation>
    </message>
    <message>
        <source>The key is kept in this system&apos;s keychain, never in the settings file or the history.</source>
        <translation>密钥保存在本系统的钥匙串中，绝不会写入设置文件或历史记录。</translation>
    </message>
    <message>
        <source>the certificates this system trusts</source>
        <translation>本系统信任的证书</translation>
    </message>
    <message>
        <source>C&amp;hoose…</source>
        <translation>选择(&amp;H)…</translation>
    </message>
    <message>
        <source>&amp;Certificate:</source>
        <translation>证书(&amp;C)：</translation>
    </message>
    <message>
        <source>Only for an https server with a certificate of its own: the file its owner gave you.</source>
        <translation>仅用于有自己证书的 https 服务器：填写服务器管理者给你的证书文件。</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <source>The server&apos;s certificate</source>
        <translation>服务器的证书</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer)</source>
        <translation>证书 (*.pem *.crt *.cer)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Write the server&apos;s address, such as http://gpu-box:8080.</source>
        <translation>请填写服务器地址，例如 http://gpu-box:8080。</translation>
    </message>
    <message>
        <source>There is no certificate file at %1: choose the server&apos;s certificate again.</source>
        <translation>%1 处没有证书文件：请重新选择服务器的证书。</translation>
    </message>
    <message>
        <source>%1 is reached over plain http, so the API key would travel unencrypted and anyone on the network could read it. Send it anyway?</source>
        <translation>%1 使用未加密的 http 连接，API 密钥将以明文传输，网络上的任何人都可能读取。仍要发送吗？</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Automatic (from the model)</source>
        <translation>自动（根据模型）</translation>
    </message>
    <message>
        <source>Satori&apos;s steps (COAT)</source>
        <translation>Satori 的步骤（COAT）</translation>
    </message>
    <message>
        <source>A &lt;think&gt; thought, then the answer</source>
        <translation>先是 &lt;think&gt; 思考，然后是答案</translation>
    </message>
    <message>
        <source>Marco-o1: &lt;Thought&gt;, then &lt;Output&gt;</source>
        <translation>Marco-o1：先 &lt;Thought&gt;，后 &lt;Output&gt;</translation>
    </message>
    <message>
        <source>Plain answer</source>
        <translation>纯文本答案</translation>
    </message>
    <message>
        <source>Applies when the model is reloaded.</source>
        <translation>重新加载模型后生效。</translation>
    </message>
    <message>
        <source>Context size, GPU layers and CPU threads apply when the model is reloaded; you will be asked first.</source>
        <translation>上下文长度、GPU 层数和 CPU 线程数在重新加载模型后生效；重新加载前会先询问你。</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>0 (greedy, recommended)</source>
        <translation>0（贪心解码，推荐）</translation>
    </message>
    <message>
        <source>0 always picks the most likely token, as the model card recommends; higher values vary the answers more.</source>
        <translation>0 总是选择可能性最大的词元，这是模型卡片推荐的设置；数值越高，回答的变化越大。</translation>
    </message>
    <message>
        <source>&amp;Temperature:</source>
        <translation>温度(&amp;T)：</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <source>The longest answer, in tokens (4,096 is the model card&apos;s).</source>
        <translation>回答的最大长度，以词元计（模型卡片推荐 4,096）。</translation>
    </message>
    <message>
        <source>&amp;Max new tokens:</source>
        <translation>最大生成词元数(&amp;M)：</translation>
    </message>
    <message>
        <source>Random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>A new seed for each answer. A fixed seed repeats the same answer to the same question when the temperature is above 0.</source>
        <translation>每次回答使用新的随机种子。温度高于 0 时，固定种子会让同一问题得到相同的回答。</translation>
    </message>
    <message>
        <source>&amp;Seed:</source>
        <translation>随机种子(&amp;S)：</translation>
    </message>
    <message>
        <source> solutions</source>
        <translation> 个解答</translation>
    </message>
    <message>
        <source>How many solutions &quot;Solve several times&quot; samples together; the answer most of them reach is shown.</source>
        <translation>“多次求解”同时采样多少个解答；显示其中多数得到的答案。</translation>
    </message>
    <message>
        <source>Solve se&amp;veral times:</source>
        <translation>多次求解(&amp;V)：</translation>
    </message>
    <message>
        <source>How the loaded model&apos;s reasoning is shown: Automatic reads Satori&apos;s steps, a &lt;think&gt; thought or Marco-o1&apos;s thought and output from what the model is. Each model keeps its own choice.</source>
        <translation>当前模型的推理如何显示：“自动”会根据模型本身识别 Satori 的步骤、&lt;think&gt; 思考过程，或 Marco-o1 的思考与输出。每个模型各自记住自己的选择。</translation>
    </message>
    <message>
        <source>&amp;Reasoning format of this model:</source>
        <translation>此模型的推理格式(&amp;R)：</translation>
    </message>
    <message>
        <source>Model &amp;&amp; hardware</source>
        <translation>模型与硬件</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Enough for the question and the longest answer, up to what the model was trained with.</source>
        <translation>足够容纳问题和最长的回答，但不超过模型训练时的长度。</translation>
    </message>
    <message>
        <source>&amp;Context size:</source>
        <translation>上下文长度(&amp;C)：</translation>
    </message>
    <message>
        <source>Automatic (as many as fit)</source>
        <translation>自动（尽可能多）</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅用 CPU</translation>
    </message>
    <message>
        <source>This many layers:</source>
        <translation>指定层数：</translation>
    </message>
    <message>
        <source>Satori-7B has 28 layers; a number above a model&apos;s layer count offloads all of them.</source>
        <translation>Satori-7B 有 28 层；大于模型层数的数字会把所有层都放到 GPU 上。</translation>
    </message>
    <message>
        <source>&amp;GPU layers:</source>
        <translation>GPU 层数(&amp;G)：</translation>
    </message>
    <message>
        <source>One thread per physical core.</source>
        <translation>每个物理核心一个线程。</translation>
    </message>
    <message>
        <source>CPU thr&amp;eads:</source>
        <translation>CPU 线程数(&amp;E)：</translation>
    </message>
    <message>
        <source>Mo&amp;dels folder:</source>
        <translation>模型文件夹(&amp;D)：</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <source>Fold reflect and explore sections when they are done</source>
        <translation>“自我检查”和“换一种思路”部分完成后自动折叠</translation>
    </message>
    <message>
        <source>T&amp;heme:</source>
        <translation>主题(&amp;H)：</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>Applies the next time Satori Desktop starts.</source>
        <translation>下次启动 Satori Desktop 时生效。</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Change…</source>
        <translation>更改…</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>New downloads go here; installed models stay where they are.</source>
        <translation>新的下载会保存到这里；已安装的模型保持原位。</translation>
    </message>
    <message>
        <source>Download models &amp;from:</source>
        <translation>模型下载来源(&amp;F)：</translation>
    </message>
    <message>
        <source>HF_ENDPOINT is set (%1), so downloads come from there.</source>
        <translation>已设置 HF_ENDPOINT（%1），因此从那里下载。</translation>
    </message>
    <message>
        <source>A mirror of the Hugging Face hub, where huggingface.co cannot be reached
(such as https://hf-mirror.com). It serves the same files: choose one you trust.</source>
        <translation>Hugging Face 模型仓库的镜像，用于无法访问 huggingface.co 的地方
（例如 https://hf-mirror.com）。镜像提供相同的文件：请选择你信任的镜像。</translation>
    </message>
    <message>
        <source>Choose the models folder</source>
        <translation>选择模型文件夹</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Stopped at the token limit</source>
        <translation>已停止：达到词元上限</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>&lt;think&gt; reasoning</source>
        <translation>&lt;think&gt; 推理</translation>
    </message>
    <message>
        <source>Marco-o1 thought and output</source>
        <translation>Marco-o1 思考与输出</translation>
    </message>
    <message>
        <source>plain answers</source>
        <translation>纯文本答案</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <source>Loading %1… %2</source>
        <translation>正在加载 %1… %2</translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>正在检查 %1…</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>正在连接 %1…</translation>
    </message>
    <message>
        <source>Not connected to a server</source>
        <translation>未连接到服务器</translation>
    </message>
    <message>
        <source>Shared server</source>
        <translation>共享服务器</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>%1 · %2/%3 layers offloaded</source>
        <translation>%1 · %2/%3 层在 GPU 上</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>%1 tok/s</source>
        <translation>%1 词元/秒</translation>
    </message>
    <message numerus="yes">
        <source>Generating · %n tokens · %1</source>
        <translation>
            <numerusform>正在生成 · %n 个词元 · %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 · %n tokens</source>
        <translation>
            <numerusform>%1 · %n 个词元</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 · %n tokens · %2 tok/s</source>
        <translation>
            <numerusform>%1 · %n 个词元 · %2 词元/秒</numerusform>
        </translation>
    </message>
    <message>
        <source>Context %1 / %2 tokens</source>
        <translation>上下文 %1 / %2 词元</translation>
    </message>
</context>
<context>
    <name>TranscriptPage</name>
    <message>
        <source>Checking the work</source>
        <translation>自我检查</translation>
    </message>
    <message>
        <source>Trying another way</source>
        <translation>换一种思路</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考过程</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>全部展开</translation>
    </message>
    <message>
        <source>Fold all</source>
        <translation>全部折叠</translation>
    </message>
    <message>
        <source>under 0.1 s</source>
        <translation>不到 0.1 秒</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 分 %2 秒</translation>
    </message>
    <message>
        <source>Stopped: the answer reached the length limit before it finished.</source>
        <translation>已停止：回答还没写完就达到了长度上限。</translation>
    </message>
    <message>
        <source>Stopped before the answer was finished.</source>
        <translation>回答还没写完就停止了。</translation>
    </message>
    <message>
        <source>Interrupted: Satori Desktop closed before this answer was finished.</source>
        <translation>已中断：这个回答写完之前 Satori Desktop 就关闭了。</translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation>未知错误</translation>
    </message>
    <message>
        <source>Generation failed: %1</source>
        <translation>生成失败：%1</translation>
    </message>
    <message>
        <source>No final answer in \boxed{} was given.</source>
        <translation>没有给出 \boxed{} 中的最终答案。</translation>
    </message>
    <message>
        <source>%1 tokens/s</source>
        <translation>%1 词元/秒</translation>
    </message>
    <message>
        <source>a formula</source>
        <translation>一个公式</translation>
    </message>
    <message>
        <source>Ask a math question below. Satori&apos;s reasoning appears here, step by step.</source>
        <translation>在下方输入一道数学题。Satori 的推理过程会一步一步显示在这里。</translation>
    </message>
    <message>
        <source>Preview of your problem, with the math typeset.</source>
        <translation>题目预览，公式已排版。</translation>
    </message>
    <message>
        <source>The app&apos;s web assets are missing (KaTeX), so formulas show as source. Run `python packaging/fetch_web_assets.py` in the source folder, or reinstall the app.</source>
        <translation>应用的网页资源（KaTeX）缺失，所以公式显示为源码。请在源码文件夹中运行 `python packaging/fetch_web_assets.py`，或者重新安装应用。</translation>
    </message>
    <message>
        <source>Copy the answer&apos;s LaTeX source to the clipboard</source>
        <translation>把答案的 LaTeX 源码复制到剪贴板</translation>
    </message>
    <message>
        <source>Copy LaTeX</source>
        <translation>复制 LaTeX</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <source>Could not copy</source>
        <translation>无法复制</translation>
    </message>
    <message>
        <source>Copy the answer</source>
        <translation>复制答案</translation>
    </message>
    <message>
        <source>More ways to copy: for Word, as Markdown, as plain text, as a picture</source>
        <translation>更多复制方式：用于 Word、Markdown、纯文本、图片</translation>
    </message>
    <message>
        <source>More ways to copy the answer</source>
        <translation>更多复制答案的方式</translation>
    </message>
    <message numerus="yes">
        <source>%n steps</source>
        <translation>
            <numerusform>%n 个步骤</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n checks</source>
        <translation>
            <numerusform>%n 次自我检查</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n changes of approach</source>
        <translation>
            <numerusform>%n 次换思路</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n thoughts</source>
        <translation>
            <numerusform>%n 段思考</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n words</source>
        <translation>
            <numerusform>%n 字</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n tokens</source>
        <translation>
            <numerusform>%n 个词元</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TutorBar</name>
    <message>
        <source>Tutor mode</source>
        <translation>辅导模式</translation>
    </message>
    <message>
        <source>Hide Satori&apos;s solution and reveal it one step at a time, with a hint before each step</source>
        <translation>隐藏 Satori 的解答，一步一步地显示出来，每一步之前先给出提示</translation>
    </message>
    <message>
        <source>Next step</source>
        <translation>下一步</translation>
    </message>
    <message>
        <source>Reveal the next hint or step (Space or → in the transcript)</source>
        <translation>显示下一个提示或步骤（在解答区按空格键或 →）</translation>
    </message>
    <message>
        <source>Show the answer</source>
        <translation>显示答案</translation>
    </message>
    <message>
        <source>Your answer, e.g. 1/2 or x = 3 or x = -3</source>
        <translation>你的答案，例如：1/2、x = 3 or x = -3</translation>
    </message>
    <message>
        <source>Check my answer</source>
        <translation>检查我的答案</translation>
    </message>
    <message>
        <source>Compare your answer with Satori&apos;s (Enter in the answer box)</source>
        <translation>将你的答案与 Satori 的答案比较（在答案框中按 Enter）</translation>
    </message>
    <message>
        <source>Key…</source>
        <translation>标准答案…</translation>
    </message>
    <message>
        <source>Check against an answer key instead of Satori&apos;s answer</source>
        <translation>用标准答案代替 Satori 的答案来检查</translation>
    </message>
    <message>
        <source>Key ✓</source>
        <translation>标准答案 ✓</translation>
    </message>
    <message>
        <source>Checks use the answer key %1; click to change or clear it</source>
        <translation>检查时使用标准答案 %1；点击可修改或清除</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
</context>
<context>
    <name>TutorController</name>
    <message>
        <source>Step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>Step %1 · Satori checks its work</source>
        <translation>第 %1 步 · Satori 检查自己的推理</translation>
    </message>
    <message>
        <source>Step %1 · Satori tries another way</source>
        <translation>第 %1 步 · Satori 换一种方法</translation>
    </message>
    <message>
        <source>Step %1 · The model thinks it through</source>
        <translation>第 %1 步 · 模型的思考过程</translation>
    </message>
    <message>
        <source>Here Satori checked its own work.</source>
        <translation>Satori 在这里检查了自己的推理。</translation>
    </message>
    <message>
        <source>Here Satori found a flaw and changed its approach.</source>
        <translation>Satori 在这里发现了问题，并换了一种方法。</translation>
    </message>
    <message>
        <source>Here the model worked the problem out before answering.</source>
        <translation>模型在作答之前在这里想清楚了这道题。</translation>
    </message>
    <message>
        <source>%1 · %2 of %3 paragraphs</source>
        <translation>%1 · 已显示 %2 段，共 %3 段</translation>
    </message>
    <message>
        <source>Explain step %1 of your solution above: why is it true, and how does it follow from the steps before it?</source>
        <translation>请解释你上面解答中的第 %1 步：它为什么成立？它是怎样从前面的步骤推出来的？</translation>
    </message>
    <message>
        <source>Your answer matches the answer key.</source>
        <translation>你的答案与标准答案一致。</translation>
    </message>
    <message>
        <source>Your answer matches Satori&apos;s answer.</source>
        <translation>你的答案与 Satori 的答案一致。</translation>
    </message>
    <message>
        <source>Your answer does not match the answer key.</source>
        <translation>你的答案与标准答案不一致。</translation>
    </message>
    <message>
        <source>Your answer does not match Satori&apos;s answer.</source>
        <translation>你的答案与 Satori 的答案不一致。</translation>
    </message>
    <message>
        <source>Could not compare the answers.</source>
        <translation>无法比较这两个答案。</translation>
    </message>
    <message>
        <source>Answer key</source>
        <translation>标准答案</translation>
    </message>
    <message>
        <source>Satori&apos;s answer</source>
        <translation>Satori 的答案</translation>
    </message>
    <message>
        <source>Your answer</source>
        <translation>你的答案</translation>
    </message>
    <message>
        <source>&amp;Explain this step</source>
        <translation>解释这一步(&amp;E)</translation>
    </message>
    <message>
        <source>The correct answer, as LaTeX or plain text (leave it empty to check against Satori&apos;s):</source>
        <translation>正确答案，可以用 LaTeX 或纯文本（留空则与 Satori 的答案比较）：</translation>
    </message>
    <message>
        <source>Show the answer</source>
        <translation>显示答案</translation>
    </message>
    <message numerus="yes">
        <source>%n steps are still hidden. Show the final answer now, before working them out?</source>
        <translation>
            <numerusform>还有 %n 个步骤尚未显示。要在自己做出这些步骤之前，现在就显示最终答案吗？</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n steps</source>
        <translation>
            <numerusform>%1 / %n 步</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n steps shown; Satori is still writing.</source>
        <translation>
            <numerusform>已显示 %1 步（共 %n 步）；Satori 还在写。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n steps shown. Press Space or → for the next hint.</source>
        <translation>
            <numerusform>已显示 %1 步（共 %n 步）。按空格键或 → 查看下一个提示。</numerusform>
        </translation>
    </message>
    <message>
        <source>Satori has no answer to compare with yet.</source>
        <translation>Satori 还没有可供比较的答案。</translation>
    </message>
    <message>
        <source>Every step is shown. Check your answer, or show Satori&apos;s.</source>
        <translation>所有步骤都已显示。检查你的答案，或者显示 Satori 的答案。</translation>
    </message>
    <message>
        <source>All steps shown</source>
        <translation>已显示全部步骤</translation>
    </message>
</context>
</TS>
